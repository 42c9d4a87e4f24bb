"""Secrets at rest: seal signing keys' private PEM (Fernet, FLASK_KEY_ENCRYPTION_KEYS);
outbox messages get a sealed copy of their content once sent, and the provider's id.

Revision ID: b7c41e2d9a10
Revises: 4a88845d5dcb
Create Date: 2026-11-30 03:00:00

"""

import sqlalchemy as sa
from alembic import op

from app import at_rest

revision = "b7c41e2d9a10"
down_revision = "4a88845d5dcb"
branch_labels = None
depends_on = None

keys = sa.table("signing_keys", sa.column("id", sa.Integer), sa.column("private_pem", sa.Text))


def upgrade():
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sealed_content", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("provider_message_id", sa.String(length=200), nullable=True)
        )
    _convert(lambda value: value if at_rest.is_sealed(value) else at_rest.seal(value))


def downgrade():
    _convert(lambda value: at_rest.unseal(value) if at_rest.is_sealed(value) else value)
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_column("provider_message_id")
        batch_op.drop_column("sealed_content")


def _convert(change):
    connection = op.get_bind()
    for row_id, value in connection.execute(sa.select(keys.c.id, keys.c.private_pem)).all():
        new = change(value)
        if new != value:
            connection.execute(
                keys.update().where(keys.c.id == row_id).values(private_pem=new)
            )
