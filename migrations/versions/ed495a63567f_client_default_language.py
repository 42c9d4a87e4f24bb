"""Client default language (the page language when neither ui_locales nor the browser asks)

Revision ID: ed495a63567f
Revises: 7212931041ee
Create Date: 2026-11-26 03:37:43.570196

"""

import sqlalchemy as sa
from alembic import op

revision = "ed495a63567f"
down_revision = "7212931041ee"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("default_language", sa.String(length=16), nullable=True))


def downgrade():
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.drop_column("default_language")
