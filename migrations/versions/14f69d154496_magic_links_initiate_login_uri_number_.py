"""Magic links: a client's initiate_login_uri; number matching and replacement on tickets.

Revision ID: 14f69d154496
Revises: 9a4facec18f0
Create Date: 2026-11-26 03:37:40.260993

"""

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "14f69d154496"
down_revision = "9a4facec18f0"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("initiate_login_uri", sa.String(length=2000), nullable=True))

    with op.batch_alter_table("login_tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("match_number", sa.String(length=2), nullable=True))
        batch_op.add_column(sa.Column("approved_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("replaced_by", sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table("login_tickets", schema=None) as batch_op:
        batch_op.drop_column("replaced_by")
        batch_op.drop_column("approved_at")
        batch_op.drop_column("match_number")

    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.drop_column("initiate_login_uri")
