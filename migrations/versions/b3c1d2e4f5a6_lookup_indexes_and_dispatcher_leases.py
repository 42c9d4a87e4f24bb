"""Indexes so every lookup is independent of table size; dispatcher leases on the outbox

Revision ID: b3c1d2e4f5a6
Revises: b7c41e2d9a10
Create Date: 2026-11-30 03:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "b3c1d2e4f5a6"
down_revision = "b7c41e2d9a10"
branch_labels = None
depends_on = None

INDEXES = [
    ("identities", "ix_identities_value", ["value"], {}),
    ("login_tickets", "ix_login_tickets_expires_at", ["expires_at"], {}),
    ("login_tickets", "ix_login_tickets_client_pk", ["client_pk"], {}),
    ("login_tickets", "ix_login_tickets_user_id", ["user_id"], {}),
    ("login_tickets", "ix_login_tickets_connection_created_at", ["connection", "created_at"], {}),
    ("authorization_codes", "ix_authorization_codes_user_id", ["user_id"], {}),
    ("authorization_codes", "ix_authorization_codes_expires_at", ["expires_at"], {}),
    ("authorization_codes", "ix_authorization_codes_nonce", ["nonce"], {"postgresql_using": "hash"}),
    ("access_tokens", "ix_access_tokens_user_id", ["user_id"], {}),
    ("access_tokens", "ix_access_tokens_expires_at", ["expires_at"], {}),
    ("outbox_messages", "ix_outbox_messages_status_next_try_at", ["status", "next_try_at"], {}),
    ("outbox_messages", "ix_outbox_messages_channel_created_at", ["channel", "created_at"], {}),
    ("events", "ix_events_user_id_created_at", ["user_id", "created_at"], {}),
    ("events", "ix_events_type_created_at", ["type", "created_at"], {}),
]


def upgrade():
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("claimed_until", sa.DateTime(), nullable=True))
    for table, name, columns, options in INDEXES:
        op.create_index(name, table, columns, unique=False, **options)


def downgrade():
    for table, name, _columns, _options in reversed(INDEXES):
        op.drop_index(name, table_name=table)
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_column("claimed_until")
        batch_op.drop_column("claimed_by")
