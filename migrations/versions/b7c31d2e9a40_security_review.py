"""Security review: replayed authorization codes, sessions limited to one app, timed
account locks, logos kept by Latchkey

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
    op.create_table(
        "logos",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content_type", sa.String(length=32), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("sha256"),
    )
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("logo_sha256", sa.String(length=64), nullable=True))
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
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.drop_column("logo_sha256")
    op.drop_table("logos")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("lock_notified_at")
        batch_op.drop_column("lock_count")
        batch_op.drop_column("locked_until")
    with op.batch_alter_table("browser_sessions", schema=None) as batch_op:
        batch_op.drop_column("client_id")
    with op.batch_alter_table("authorization_codes", schema=None) as batch_op:
        batch_op.drop_column("replayed_at")
