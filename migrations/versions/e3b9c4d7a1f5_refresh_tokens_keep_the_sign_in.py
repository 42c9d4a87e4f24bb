"""Refresh tokens keep the sign-in's auth_time and amr for refreshed ID tokens

Existing rows get NULL: their refreshed ID tokens carry neither claim.

Revision ID: e3b9c4d7a1f5
Revises: a0e1c7d2f9b4
Create Date: 2026-11-30 12:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "e3b9c4d7a1f5"
down_revision = "a0e1c7d2f9b4"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("refresh_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("auth_time", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("amr", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("refresh_tokens", schema=None) as batch_op:
        batch_op.drop_column("amr")
        batch_op.drop_column("auth_time")
