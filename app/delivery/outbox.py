"""The outbox: rendered messages written in the caller's transaction, sent later.

Nothing here commits: a message and its ticket are stored together or not at all.
The dispatcher (app.delivery.dispatcher) sends what the outbox holds.
"""

from __future__ import annotations

import json

from flask import current_app
from sqlalchemy import select

from app import at_rest
from app.accounts import events
from app.messages.rendering import RenderedEmail

from ..extensions import db
from ..models import OutboxMessage, rows, utcnow
from . import notify

# Providers whose message is the outbox row itself (/dev/outbox shows it): kept readable.
SHOWN_IN_OUTBOX = "dev"

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
    """Write a pending message in the caller's transaction, due now; the caller commits.

    `message` is a rendered email, or the text of an SMS.
    """
    if isinstance(message, str):
        message = RenderedEmail(subject="", text=message, html="")
    row = rows.insert_loaded(  # one INSERT, not a flush at commit
        OutboxMessage,
        {
            "channel": channel,
            "recipient": recipient,
            "sender": sender,
            "subject": message.subject,
            "body_text": message.text,
            "body_html": message.html or None,
            "ticket_id": ticket_id,
            "provider": provider_name(channel),
            "status": "pending",
            "tries": 0,
            "next_try_at": utcnow(),
        },
    )
    notify.announce()
    return row


def resend(ticket_id: str) -> OutboxMessage | None:
    """Queue a new copy of a ticket's newest message (same content, same code); no commit.

    Returns None when the ticket has no message, or its content was already removed.
    """
    newest = _newest(ticket_id)
    if newest is None or is_purged(newest):
        return None
    content = content_of(newest)
    return enqueue(
        newest.channel, newest.recipient, content, ticket_id=ticket_id, sender=newest.sender
    )


def provider_name(channel: str) -> str | None:
    """The provider configured for a channel, e.g. "smtp" or "dev" for email."""
    setting = PROVIDER_SETTINGS.get(channel)
    return current_app.config.get(setting) if setting else None


def is_purged(message: OutboxMessage) -> bool:
    """True once the content is gone for good (its ticket ended)."""
    return not (message.subject or message.body_text or message.body_html or message.sealed_content)


def content_of(message: OutboxMessage) -> RenderedEmail:
    """What a message says: its readable parts, or its sealed copy once it was sent."""
    if message.sealed_content:
        parts = json.loads(at_rest.unseal(message.sealed_content))
        return RenderedEmail(subject=parts["subject"], text=parts["text"], html=parts["html"])
    return RenderedEmail(
        subject=message.subject, text=message.body_text, html=message.body_html or ""
    )


def forget_sent_content(message: OutboxMessage) -> None:
    """After sending: blank the readable subject and body; no commit (see `sent_content`)."""
    for name, value in sent_content(message).items():
        setattr(message, name, value)


def sent_content(message: OutboxMessage) -> dict[str, str]:
    """What a message keeps of its content once sent, as the columns to change.

    The readable subject and body are blanked. While the message's ticket lives a sealed
    copy stays so "Resend" can send the same code; without a ticket nothing is kept
    (and the recipient is masked). The dev provider's rows stay readable (they are what
    /dev/outbox shows, in debug and testing only): nothing changes.
    """
    if message.provider == SHOWN_IN_OUTBOX or is_purged(message):
        return {}
    changes = {"subject": "", "body_text": "", "body_html": ""}
    if message.ticket_id and not message.sealed_content:
        content = {"subject": message.subject, "text": message.body_text}
        content["html"] = message.body_html or ""
        changes["sealed_content"] = at_rest.seal(json.dumps(content))
    if not message.ticket_id:
        changes["recipient"] = events.mask_recipient(message.recipient) or ""
    return changes


def reencrypt() -> int:
    """Seal every sealed copy again under the newest key; no commit. Returns the count."""
    rows = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.sealed_content.is_not(None))
    ).all()
    for row in rows:
        row.sealed_content = at_rest.reseal(row.sealed_content)
    return len(rows)


def _newest(ticket_id: str) -> OutboxMessage | None:
    return db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.ticket_id == ticket_id)
        .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
        .limit(1)
    ).first()
