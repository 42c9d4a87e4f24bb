"""Management (m2m) clients keep the Management API scopes they may ask for

Revision ID: d8a3f6b2c4e1
Revises: d8f3b1a6c2e4
Create Date: 2026-11-30 06:10:00

"""

import sqlalchemy as sa
from alembic import op

revision = "d8a3f6b2c4e1"
down_revision = "d8f3b1a6c2e4"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("scopes", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.drop_column("scopes")
