"""The outbox: rendered messages written in the caller's transaction, sent later.

Nothing here commits: a message and its ticket are stored together or not at all.
The dispatcher (app.delivery.dispatcher) sends what the outbox holds.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from app.messages.rendering import RenderedEmail

from ..extensions import db
from ..models import OutboxMessage, utcnow

# Which config key names the provider of each channel.
PROVIDER_SETTINGS = {"email": "EMAIL_PROVIDER", "sms": "SMS_PROVIDER"}


def enqueue(
    channel: str,
    recipient: str,
    message: RenderedEmail | str,
    *,
    ticket_id: str | None = None,
    sender: str | None = None,
) -> OutboxMessage:
    """Add a pending message to the session, due now; the caller commits.

    `message` is a rendered email, or the text of an SMS.
    """
    if isinstance(message, str):
        message = RenderedEmail(subject="", text=message, html="")
    row = OutboxMessage(
        channel=channel,
        recipient=recipient,
        sender=sender,
        subject=message.subject,
        body_text=message.text,
        body_html=message.html or None,
        ticket_id=ticket_id,
        provider=provider_name(channel),
        status="pending",
        tries=0,
        next_try_at=utcnow(),
    )
    db.session.add(row)
    return row


def resend(ticket_id: str) -> OutboxMessage | None:
    """Queue a new copy of a ticket's newest message (same content, same code); no commit.

    Returns None when the ticket has no message, or its content was already removed.
    """
    newest = _newest(ticket_id)
    if newest is None or is_purged(newest):
        return None
    content = RenderedEmail(
        subject=newest.subject, text=newest.body_text, html=newest.body_html or ""
    )
    return enqueue(
        newest.channel, newest.recipient, content, ticket_id=ticket_id, sender=newest.sender
    )


def newest_failure(ticket_id: str) -> str | None:
    """The reason the newest message of a ticket failed for good, or None."""
    newest = _newest(ticket_id)
    if newest is None or newest.status != "failed":
        return None
    return newest.last_error or ""


def provider_name(channel: str) -> str | None:
    """The provider configured for a channel, e.g. "smtp" or "dev" for email."""
    setting = PROVIDER_SETTINGS.get(channel)
    return current_app.config.get(setting) if setting else None


def is_purged(message: OutboxMessage) -> bool:
    """True once the dispatcher removed the content (its ticket expired)."""
    return not (message.subject or message.body_text or message.body_html)


def _newest(ticket_id: str) -> OutboxMessage | None:
    return db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.ticket_id == ticket_id)
        .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
        .limit(1)
    ).first()
