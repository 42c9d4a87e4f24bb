"""Security review: replayed authorization codes, sessions limited to one app

Revision ID: b7c31d2e9a40
Revises: ed495a63567f
Create Date: 2026-11-30 03:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

revision = "b7c31d2e9a40"
down_revision = "ed495a63567f"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("authorization_codes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("replayed_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("browser_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("client_id", sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table("browser_sessions", schema=None) as batch_op:
        batch_op.drop_column("client_id")
    with op.batch_alter_table("authorization_codes", schema=None) as batch_op:
        batch_op.drop_column("replayed_at")
