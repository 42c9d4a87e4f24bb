"""Security review: replayed authorization codes, sessions limited to one app, timed
account locks

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
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("locked_until", sa.DateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("lock_count", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("lock_notified_at", sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("lock_notified_at")
        batch_op.drop_column("lock_count")
        batch_op.drop_column("locked_until")
    with op.batch_alter_table("browser_sessions", schema=None) as batch_op:
        batch_op.drop_column("client_id")
    with op.batch_alter_table("authorization_codes", schema=None) as batch_op:
        batch_op.drop_column("replayed_at")
