"""Operators of the console at /admin (`flask admins add EMAIL`)

Revision ID: d8f3a1c6e2b4
Revises: d8f3b2a6c4e1
Create Date: 2026-11-30 06:05:00

"""

import sqlalchemy as sa
from alembic import op

revision = "d8f3a1c6e2b4"
down_revision = "d8f3b2a6c4e1"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "admins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_admins")),
        sa.UniqueConstraint("email", name=op.f("uq_admins_email")),
    )


def downgrade():
    op.drop_table("admins")
