"""What happened to a ticket's message, in words the person waiting can read.

`ticket_delivery(ticket)` reads the newest outbox message of a ticket and says
whether it is being sent, was sent, is delayed (a try failed; retrying), or failed
for good, with the provider's reason in plain words. It reveals nothing else: no
address, no provider name, no error code. `delivery_of` says the same from a message
state read by another query (`newest_message_id` joins it to the ticket's own read).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import aliased

from ..extensions import db
from ..models import LoginTicket, OutboxMessage, utcnow
from . import sms

SENDING, SENT, DELAYED, FAILED = "sending", "sent", "delayed", "failed"
# A ticket that sends nothing (unknown, blocked or refused address) looks like one
# whose message left after this long, so the page answers alike (no enumeration).
SILENT_SENDING_FOR = timedelta(seconds=2)
# The person is told only these; the page keeps asking while the state may change.
FINAL = (SENT, FAILED)

LINES = {
    ("email", SENDING): _l("Sending the email…"),
    ("email", SENT): _l("Email sent. It can take a minute to arrive."),
    ("email", DELAYED): _l("The email is delayed. We're still trying to send it."),
    ("email", FAILED): _l("We couldn't send the email."),
    ("sms", SENDING): _l("Sending the text message…"),
    ("sms", SENT): _l("Text message sent. It can take a minute to arrive."),
    ("sms", DELAYED): _l("The text message is delayed. We're still trying to send it."),
    ("sms", FAILED): _l("We couldn't send the text message."),
}

EMAIL_REFUSED = _l("The mail server refused this address. Check it, or use another one.")
EMAIL_UNREACHABLE = _l("We couldn't reach the mail server.")
TRY_LATER = _l("Try again in a moment, or sign in another way.")
TOO_LATE = _l("The code expired before we could send it. Ask for a new one.")


@dataclass(frozen=True)
class Delivery:
    """A ticket's message as the person sees it: `state`, the line to show, and the
    reason in plain words when it failed (or is delayed), else None."""

    state: str
    line: str
    reason: str | None

    @property
    def final(self) -> bool:
        return self.state in FINAL

    def as_json(self) -> dict[str, object]:
        return {"state": self.state, "line": self.line, "reason": self.reason}


class MessageState(NamedTuple):
    """What the person's page needs of a message: its status, tries and last error."""

    status: str
    tries: int
    last_error: str | None


def newest_message_id(ticket_id):
    """The id of a ticket's newest message, as a scalar subquery (`ticket_id` may be a
    column of the enclosing query, which it then correlates to)."""
    newest = aliased(OutboxMessage)  # apart from the enclosing query's own messages
    return (
        select(newest.id)
        .where(newest.ticket_id == ticket_id)
        .order_by(newest.created_at.desc(), newest.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def ticket_delivery(ticket: LoginTicket, now: datetime | None = None) -> Delivery:
    """The state of the newest message of a ticket (one query)."""
    message = db.session.execute(
        select(OutboxMessage.status, OutboxMessage.tries, OutboxMessage.last_error).where(
            OutboxMessage.id == newest_message_id(ticket.id)
        )
    ).first()
    return delivery_of(ticket, MessageState(*message) if message else None, now)


def delivery_of(
    ticket: LoginTicket, message: MessageState | None, now: datetime | None = None
) -> Delivery:
    """The state of a ticket whose newest message is `message` (None: it has none).

    A ticket with no message (its address may not sign in, so nothing was sent) reads
    "sending", then "sent": the page must not tell such an address from another.
    """
    channel = "sms" if ticket.connection == "sms" else "email"
    if message is None:
        young = (now or utcnow()) - ticket.created_at < SILENT_SENDING_FOR
        state = SENDING if young else SENT
        return Delivery(state=state, line=str(LINES[(channel, state)]), reason=None)
    state = _state(message)
    reason = explain(channel, message.last_error) if state == FAILED else None
    return Delivery(state=state, line=str(LINES[(channel, state)]), reason=reason)


def _state(message: MessageState) -> str:
    if message.status == "sent":
        return SENT
    if message.status == "failed":
        return FAILED
    # A retry waits as 'pending' with tries > 0; a claim in progress is 'sending'
    # (a second claim of the same message means an earlier try was interrupted).
    if message.last_error or (message.status == "pending" and message.tries > 0):
        return DELAYED
    return SENDING


def explain(channel: str, reason: str | None) -> str:
    """A provider's stored failure reason in plain words (translated lazily)."""
    if reason == "ticket expired before delivery":
        return str(TOO_LATE)
    if channel == "sms":
        said = sms.explain(reason)
        # The generic SMS sentence repeats the line ("We couldn't send …"): say what to do.
        return str(TRY_LATER) if said == str(sms.UNKNOWN_FAILURE) else said
    reason = reason or ""
    if reason.startswith(("recipient refused", "message refused")):
        return str(EMAIL_REFUSED)
    if reason.startswith(("SMTPConnect", "SMTPServerDisconnected", "Connection", "TimeoutError")):
        return str(EMAIL_UNREACHABLE)
    if reason in ("OSError", "gaierror", "timeout", "ConnectionRefusedError"):
        return str(EMAIL_UNREACHABLE)
    return str(TRY_LATER)
