"""Post-login hooks: step-up tickets remember their first factor; codes and tokens carry
the hooks' claims

Revision ID: d8f3b2a6c4e1
Revises: c5e2a7f1d3b8
Create Date: 2026-11-30 06:10:00

"""

import sqlalchemy as sa
from alembic import op

revision = "d8f3b2a6c4e1"
down_revision = "c5e2a7f1d3b8"
branch_labels = None
depends_on = None

COLUMNS = (
    ("login_tickets", "first_factor"),
    ("authorization_codes", "claims"),
    ("access_tokens", "claims"),
    ("refresh_tokens", "claims"),
)


def upgrade():
    for table, column in COLUMNS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column(column, sa.JSON(), nullable=True))


def downgrade():
    for table, column in reversed(COLUMNS):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column(column)
