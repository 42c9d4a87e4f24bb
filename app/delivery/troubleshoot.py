""" "Why didn't my code arrive?": everything about the messages to one address or number.

For the operator console: each message with its provider's answer and its tries
(the delivery events recorded for it), what refused or limited sign-ins to that
recipient (the audit log keeps recipients masked, so those events are matched by
the masked form), the SMS limits and the country's daily budget as they stand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import phonenumbers
from flask import current_app
from limits import parse_many
from sqlalchemy import select

from app import limits
from app.accounts import events
from app.accounts.connections import get_connection

from ..extensions import db
from ..models import Event, LoginTicket, OutboxMessage
from ..signin import phones, sms_guard
from . import state

PAGE_SIZE = 20
DELIVERY_EVENTS = ("delivery.sent", "delivery.retry", "delivery.failed")
REFUSAL_EVENTS = (
    "login.start",
    "login.refused",
    "login.locked",
    "throttle.recipient",
    "throttle.failed_codes",
    "sms.refused",
)


@dataclass(frozen=True)
class MessageStory:
    """One outbox message: the row, its tries as events (oldest first), its ticket,
    and the provider's last answer in plain words."""

    message: OutboxMessage
    tries: list[Event]
    ticket: LoginTicket | None
    explained: str | None


@dataclass(frozen=True)
class LimitState:
    setting: str
    limit: str
    remaining: int
    resets_at: datetime | None


@dataclass
class Story:
    recipient: str
    channel: str
    messages: list[MessageStory] = field(default_factory=list)
    next_before: int | None = None
    refusals: list[Event] = field(default_factory=list)
    limits: list[LimitState] = field(default_factory=list)
    country: str | None = None
    budget: int | None = None
    sent_today: int | None = None


def recipient_story(
    recipient: str, channel: str, before: int | None = None, size: int = PAGE_SIZE
) -> Story:
    """What happened to messages for a normalized address (email) or E.164 number (sms)."""
    story = Story(recipient=recipient, channel=channel)
    query = select(OutboxMessage).where(OutboxMessage.recipient == recipient)
    if before is not None:
        query = query.where(OutboxMessage.id < before)
    rows = list(db.session.scalars(query.order_by(OutboxMessage.id.desc()).limit(size + 1)))
    if len(rows) > size:
        rows = rows[:size]
        story.next_before = rows[-1].id
    story.messages = [_message_story(row) for row in rows]
    story.refusals = _refusals(recipient, channel)
    if channel == "sms":
        _sms_limits(story)
    return story


def _message_story(row: OutboxMessage) -> MessageStory:
    tries = db.session.scalars(
        select(Event)
        .where(
            Event.type.in_(DELIVERY_EVENTS),
            Event.detail["message_id"].as_integer() == row.id,
        )
        .order_by(Event.id)
        .limit(50)
    ).all()
    ticket = db.session.get(LoginTicket, row.ticket_id) if row.ticket_id else None
    explained = state.explain(row.channel, row.last_error) if row.last_error else None
    return MessageStory(message=row, tries=list(tries), ticket=ticket, explained=explained)


def _refusals(recipient: str, channel: str, limit: int = 20) -> list[Event]:
    """Refused starts (blocked, locked, sign-up off), throttles, lockouts and SMS-guard
    refusals for the masked recipient, newest first."""
    rows = db.session.scalars(
        select(Event)
        .where(
            Event.type.in_(REFUSAL_EVENTS),
            Event.connection == channel,
            Event.recipient == events.mask_recipient(recipient),
        )
        .order_by(Event.id.desc())
        .limit(limit * 3)
    ).all()
    refused = [e for e in rows if e.type != "login.start" or (e.detail or {}).get("refused")]
    return refused[:limit]


def _sms_limits(story: Story) -> None:
    """The per-number and per-prefix limits' state now (without counting a hit), and
    the number's country's budget for today."""
    try:
        phone = phones.from_e164(story.recipient)
    except phonenumbers.NumberParseException:
        return
    keys = {"number": phone.e164, "prefix": phone.prefix}
    limiter = limits.current().moving_window
    for limit in sms_guard.LIMITS:
        if limit.scope not in keys:
            continue
        for item in parse_many(current_app.config[limit.setting]):
            stats = limiter.get_window_stats(item, "sms", limit.scope, keys[limit.scope])
            resets = (
                datetime.fromtimestamp(stats.reset_time, UTC).replace(tzinfo=None)
                if stats.remaining == 0
                else None
            )
            story.limits.append(LimitState(limit.setting, str(item), stats.remaining, resets))
    story.country = phone.country
    story.budget = get_connection("sms").daily_budget
    story.sent_today = sms_guard.sent_today(phone.country)
