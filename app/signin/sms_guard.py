"""SMS-fraud defences: who may be sent a code by SMS, and how often.

SMS pumping (bots asking for codes to premium-rate ranges) costs real money, so
every SMS passes `admit()` (through `admit_recipient()`, which records each refusal as
an `sms.refused` event) before anything is queued:

- the connection's allowed countries (empty list: every country);
- moving-window limits per number, per number prefix and per IP (the app's one
  limit storage, app/limits.py: memory:// or redis://, so several processes
  share the counts when the storage is shared);
- a daily budget of messages per country (UTC day), counted from the outbox, so
  it holds across processes; the first refusal of a day logs `sms.budget_exhausted`.

`daily_stats()` gives the numbers behind `flask sms stats`.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from limits import parse_many
from sqlalchemy import func, select

from app import limits
from app.accounts import events
from app.accounts.connections import get_connection
from app.extensions import db
from app.models import Client, Connection, Event, LoginTicket, OutboxMessage, utcnow
from app.signin import phones
from app.signin.outcomes import Requester


class SmsRefused(Exception):
    """No SMS may go to this number now; `str()` is the message to show, `reason` what
    refused it (the `sms.refused` event's `refused`) and `detail` the rest of the event."""

    status = 400
    reason = "refused"

    @property
    def detail(self) -> dict[str, Any]:
        return {}


class CountryNotAllowed(SmsRefused):
    reason = "country"


class TooManyMessages(SmsRefused):
    """A number, prefix or IP limit (`reason`: number, prefix, ip) is reached."""

    status = 429

    def __init__(
        self, message: str, retry_after_seconds: int, scope: str = "number", limit: str = ""
    ):
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds
        self.reason, self.limit = scope, limit

    @property
    def detail(self) -> dict[str, Any]:
        return {"limit": self.limit, "retry_after": self.retry_after_seconds}


class BudgetExhausted(SmsRefused):
    status = 503
    reason = "budget"

    def __init__(self, message: str, budget: int):
        super().__init__(message)
        self.budget = budget

    @property
    def detail(self) -> dict[str, Any]:
        return {"budget": self.budget}


class SmsUnavailable(SmsRefused):
    status = 503
    reason = "unavailable"


@dataclass(frozen=True)
class _Limit:
    setting: str
    scope: str


LIMITS = (
    _Limit("SMS_NUMBER_RATE_LIMIT", "number"),
    _Limit("SMS_PREFIX_RATE_LIMIT", "prefix"),
    _Limit("SMS_IP_RATE_LIMIT", "ip"),
)


def admit_recipient(
    connection: Connection,
    recipient: str,
    requester: Requester,
    *,
    client: Client | None = None,
    user_id: int | None = None,
    **detail: Any,
) -> str:
    """`admit()` for an E.164 recipient asked for by `requester`; returns its country.

    A refusal is recorded as the event `sms.refused` (the number masked, as in every
    event; `refused`: country, number, prefix, ip, budget or unavailable) and committed
    before it propagates, so it stays in the audit log whatever the caller answers. The
    guard runs before any account is looked up: the refusal says nothing about one."""
    phone = phones.from_e164(recipient)
    try:
        admit(connection, phone, requester.ip)
    except SmsRefused as refused:
        events.record(
            "sms.refused",
            client_id=client.client_id if client else None,
            user_id=user_id,
            connection=connection.name,
            recipient=phone.e164,
            ip=requester.ip,
            user_agent=requester.user_agent,
            refused=refused.reason,
            country=phone.country,
            **refused.detail,
            **detail,
        )
        db.session.commit()
        raise
    return phone.country


def admit_again(ticket: LoginTicket, requester: Requester, user_id: int | None) -> None:
    """`admit_recipient()` for a live SMS ticket's message sent again."""
    sms = get_connection("sms")
    detail = {"client": ticket.client, "user_id": user_id, "ticket": ticket.id[:6]}
    admit_recipient(sms, ticket.recipient, requester, **detail)


def admit(connection: Connection, phone: phones.Phone, ip: str | None) -> None:
    """Allow one SMS to `phone`, or raise SmsRefused; counts the send against the limits.

    Each limit is counted and checked in one atomic step (a check and a later count
    would let a burst of parallel requests all pass); a refused request may use up a
    slot of the limits before the one that refused it, which errs on the safe side.
    """
    if not current_app.config.get("SMS_PROVIDER"):
        raise SmsUnavailable(_l("Sign-in by text message isn't available right now."))
    allowed = list(connection.allowed_countries or [])
    if allowed and phone.country not in allowed:
        raise CountryNotAllowed(_l("We can't send text messages to numbers in this country."))
    keys = {"number": phone.e164, "prefix": phone.prefix, "ip": ip or "unknown"}
    limiter = limits.current().moving_window
    for limit in LIMITS:
        for item in parse_many(current_app.config[limit.setting]):
            if not limiter.hit(item, "sms", limit.scope, keys[limit.scope]):
                reset = limiter.get_window_stats(item, "sms", limit.scope, keys[limit.scope])
                raise _too_many(limit.scope, reset.reset_time, str(item))
    _reserve_budget(connection, phone.country)


def _too_many(scope: str, reset_time: float, limit: str) -> TooManyMessages:
    seconds = max(int(reset_time - time.time()), 1)
    minutes = math.ceil(seconds / 60)
    if scope == "number":
        message = lazy_ngettext(
            "Too many codes were sent to this number. Try again in %(num)d minute.",
            "Too many codes were sent to this number. Try again in %(num)d minutes.",
            minutes,
        )
    else:
        message = lazy_ngettext(
            "Too many codes were asked for. Try again in %(num)d minute.",
            "Too many codes were asked for. Try again in %(num)d minutes.",
            minutes,
        )
    return TooManyMessages(message, retry_after_seconds=seconds, scope=scope, limit=limit)


def _day_start(now: datetime) -> datetime:
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def sent_today(country: str, now: datetime | None = None) -> int:
    """SMS queued today (UTC) to numbers of `country`, resends included."""
    since = _day_start(now or utcnow())
    return db.session.scalar(
        select(func.count(OutboxMessage.id))
        .join(LoginTicket, OutboxMessage.ticket_id == LoginTicket.id)
        .where(
            OutboxMessage.channel == "sms",
            OutboxMessage.created_at >= since,
            LoginTicket.country == country,
        )
    )


def _reserve_budget(connection: Connection, country: str) -> None:
    """Take one message of the country's daily budget, atomically, or refuse.

    The outbox count is the day's truth (it survives restarts); the storage counter
    makes parallel requests see each other's reservations before their rows exist."""
    budget = connection.daily_budget
    if budget is None:
        return
    if sent_today(country) < budget:
        now = utcnow()
        storage = limits.current().storage
        key = f"sms-budget/{country}/{now:%Y-%m-%d}"
        seconds_left = (_day_start(now) + timedelta(days=1) - now).total_seconds() + 60
        if storage.incr(key, seconds_left) <= budget:
            return
        storage.incr(key, seconds_left, amount=-1)
    _budget_exhausted(country, budget)


def _budget_exhausted(country: str, budget: int) -> None:
    since = _day_start(utcnow())
    already = db.session.scalar(
        select(func.count(Event.id)).where(
            Event.type == "sms.budget_exhausted",
            Event.created_at >= since,
            Event.detail["country"].as_string() == country,
        )
    )
    if not already:
        events.record("sms.budget_exhausted", connection="sms", country=country, budget=budget)
        db.session.commit()
        current_app.logger.warning("SMS budget for %s reached (%d today)", country, budget)
    raise BudgetExhausted(
        _l(
            "We can't send more text messages to this country today. Try again tomorrow, "
            "or sign in another way."
        ),
        budget,
    )


@dataclass(frozen=True)
class DayStats:
    """One country's day: codes sent by SMS, sign-ins verified, and the ratio."""

    day: str
    country: str
    sent: int
    verified: int

    @property
    def completion_rate(self) -> float:
        return self.verified / self.sent if self.sent else 0.0


def daily_stats(days: int = 7, now: datetime | None = None) -> list[DayStats]:
    """Per UTC day and country, newest first: tickets that sent an SMS, and how many
    of those ended in a sign-in. A low completion rate is the sign of pumping."""
    since = _day_start(now or utcnow()) - timedelta(days=max(days, 1) - 1)
    day = func.date(LoginTicket.created_at)
    rows = db.session.execute(
        select(
            day,
            LoginTicket.country,
            func.count(LoginTicket.id),
            func.count(LoginTicket.user_id),
        )
        .where(
            LoginTicket.connection == "sms",
            LoginTicket.deliver.is_(True),
            LoginTicket.created_at >= since,
        )
        .group_by(day, LoginTicket.country)
        .order_by(day.desc(), LoginTicket.country)
    ).all()
    return [DayStats(str(d), country or "??", sent, done) for d, country, sent, done in rows]
