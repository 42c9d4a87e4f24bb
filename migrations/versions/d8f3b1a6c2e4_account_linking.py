"""Account linking: identities keep their own id (Auth0's identities[].user_id), and
tickets say what their code is for (a sign-in, or the account page)

Revision ID: d8f3b1a6c2e4
Revises: d8f3a1c6e2b4
Create Date: 2026-11-30 06:10:00

"""

import sqlalchemy as sa
from alembic import op

revision = "d8f3b1a6c2e4"
down_revision = "d8f3a1c6e2b4"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("identities", schema=None) as batch_op:
        batch_op.add_column(sa.Column("subject", sa.String(length=64), nullable=True))
    # Until now every user had the identity it was made with: that identity's id is its sub.
    op.execute(
        "UPDATE identities SET subject = (SELECT users.sub FROM users"
        " WHERE users.id = identities.user_id)"
    )
    with op.batch_alter_table("login_tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("purpose", sa.String(length=16), nullable=True))


def downgrade():
    with op.batch_alter_table("login_tickets", schema=None) as batch_op:
        batch_op.drop_column("purpose")
    with op.batch_alter_table("identities", schema=None) as batch_op:
        batch_op.drop_column("subject")
