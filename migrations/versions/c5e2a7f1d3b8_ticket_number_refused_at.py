"""Login tickets remember that a wrong match number ended them (the waiting page's story)

Revision ID: c5e2a7f1d3b8
Revises: b3c1d2e4f5a6
Create Date: 2026-11-30 05:20:00

"""

import sqlalchemy as sa
from alembic import op

revision = "c5e2a7f1d3b8"
down_revision = "b3c1d2e4f5a6"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("login_tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("number_refused_at", sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("login_tickets", schema=None) as batch_op:
        batch_op.drop_column("number_refused_at")
