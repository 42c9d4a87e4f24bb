"""SMS: ticket country, connection default country and daily budget

Revision ID: 20ed428495cc
Revises: 14f69d154496
Create Date: 2026-11-26 03:38:34.704388

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "20ed428495cc"
down_revision = "14f69d154496"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("connections", schema=None) as batch_op:
        batch_op.add_column(sa.Column("default_country", sa.String(length=2), nullable=True))
        batch_op.add_column(sa.Column("daily_budget", sa.Integer(), nullable=True))
    # An existing sms connection gets the default budget (NULL would mean no limit).
    op.execute("UPDATE connections SET daily_budget = 500 WHERE name = 'sms'")

    with op.batch_alter_table("login_tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("country", sa.String(length=2), nullable=True))
        batch_op.create_index(batch_op.f("ix_login_tickets_country"), ["country"], unique=False)


def downgrade():
    with op.batch_alter_table("login_tickets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_tickets_country"))
        batch_op.drop_column("country")

    with op.batch_alter_table("connections", schema=None) as batch_op:
        batch_op.drop_column("daily_budget")
        batch_op.drop_column("default_country")
