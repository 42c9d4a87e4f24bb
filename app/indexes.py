"""Indexes for the lookups the app makes, so none grows with its table (the columns'
own unique and index flags are in app.models; tests/test_indexes.py checks the plans).
"""

from __future__ import annotations

from sqlalchemy import Index

from .models import AccessToken, AuthorizationCode, Event, Identity, LoginTicket, OutboxMessage

INDEXES = (
    # users.find_by_sub_or_identity: an address or number, whatever the connection
    Index("ix_identities_value", Identity.value),
    # expired tickets (purges), a client's and a user's tickets (deletes, SET NULL)
    Index("ix_login_tickets_expires_at", LoginTicket.expires_at),
    Index("ix_login_tickets_client_pk", LoginTicket.client_pk),
    Index("ix_login_tickets_user_id", LoginTicket.user_id),
    # sms_guard.daily_stats: SMS tickets of the last days
    Index("ix_login_tickets_connection_created_at", LoginTicket.connection, LoginTicket.created_at),
    Index("ix_authorization_codes_user_id", AuthorizationCode.user_id),
    Index("ix_authorization_codes_expires_at", AuthorizationCode.expires_at),
    # OpenIDCode.exists_nonce; nonces are as long as apps make them: a hash index has no limit
    Index("ix_authorization_codes_nonce", AuthorizationCode.nonce, postgresql_using="hash"),
    Index("ix_access_tokens_user_id", AccessToken.user_id),
    Index("ix_access_tokens_expires_at", AccessToken.expires_at),
    # dispatchers' due messages: status, then time
    Index("ix_outbox_messages_status_next_try_at", OutboxMessage.status, OutboxMessage.next_try_at),
    # sms_guard.sent_today
    Index("ix_outbox_messages_channel_created_at", OutboxMessage.channel, OutboxMessage.created_at),
    # events find by user and time; the SMS budget's events by type and time
    Index("ix_events_user_id_created_at", Event.user_id, Event.created_at),
    Index("ix_events_type_created_at", Event.type, Event.created_at),
)
