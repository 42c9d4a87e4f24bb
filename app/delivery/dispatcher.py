"""The dispatcher: sends what the outbox holds, retries with backoff, logs each fate.

`dispatch_due()` sends every due message once and is safe to run in many threads
and processes at once: each message is claimed (app.delivery.claims) before it is
sent, under a lease, so it is sent by one dispatcher; one whose dispatcher died is
taken again when the lease lapses. By default each web process runs a pool of
sender threads (app.delivery.workers), started by the first request and woken by
`wake()` after a commit, so no web request ever waits for a mail server;
`flask outbox work` runs dedicated ones.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask, current_app, has_app_context

from app import housekeeping
from app.accounts import events

from ..extensions import db
from ..models import OutboxMessage, rows, utcnow
from . import DeliveryError, claims, outbox, provider_for
from .workers import Dispatcher

BACKOFF_FIRST = timedelta(seconds=10)
BACKOFF_MAX = timedelta(minutes=10)
# Default lease: a message left in 'sending' by a process that died is taken again after this.
CLAIM_LEASE = timedelta(minutes=5)
EXTENSION_KEY = "latchkey_dispatcher"


def dispatch_due(now: datetime | None = None, limit: int | None = None, purge: bool = True) -> int:
    """Claim and send due messages one at a time until none is left (or `limit` were
    tried), then (with `purge`) housekeeping (app/housekeeping.py).

    Runs inside an app context and commits. Returns how many messages were sent.
    `now` freezes the clock for the whole pass (tests); by default it is read as needed.
    """
    clock: Callable[[], datetime] = (lambda: now) if now is not None else utcnow
    sent = tried = 0
    while limit is None or tried < limit:
        outcome = send_next(clock)
        if outcome is None:
            break
        tried += 1
        sent += outcome.sent
        if not outcome.more_due:
            break
    if purge:
        housekeeping.purge_due(clock())
    db.session.commit()
    return sent


@dataclass(frozen=True)
class Try:
    """One claimed message's try: whether it was sent, and whether another message was
    due when it was claimed (if not, the caller need not look again: a message queued
    since wakes a dispatcher itself)."""

    sent: bool
    more_due: bool


def send_next(clock: Callable[[], datetime] = utcnow) -> Try | None:
    """Claim one due message and try to send it: None when nothing was due."""
    claimed = claims.claim_next(clock(), lease())
    db.session.commit()  # the claim, before the provider (on SQLite it took the write lock)
    if claimed is None:
        return None
    return Try(sent=_deliver(claimed, clock), more_due=claimed.more_due)


def lease() -> timedelta:
    """How long a claim lasts (DISPATCH_LEASE_SECONDS): longer than one try can take."""
    return timedelta(seconds=int(current_app.config["DISPATCH_LEASE_SECONDS"]))


def backoff(tries: int) -> timedelta:
    """Delay before the next try after `tries` failed ones: 10 s, 20 s, 40 s, … up to 10 min."""
    return min(BACKOFF_FIRST * 2 ** max(tries - 1, 0), BACKOFF_MAX)


def retry_delay(tries: int, jitter: float) -> timedelta:
    """The backoff stretched by a random share of up to `jitter` (0.25: up to +25 %), so
    messages that failed together (a mail server down) do not all come back together."""
    return backoff(tries) * (1 + random.uniform(0, max(jitter, 0.0)))


def _deliver(claimed: claims.Claimed, clock: Callable[[], datetime]) -> bool:
    """Send one claimed (and committed) message and record its fate; True when it was sent."""
    message = claimed.message
    about = {
        "client_id": claimed.client_id,
        "connection": message.channel,
        "recipient": message.recipient,
        "provider": message.provider,
        "message_id": message.id,
    }
    if claimed.ticket_expires_at is not None and claimed.ticket_expires_at < clock():
        _give_up(message, "ticket expired before delivery", about, clock())
        return False
    if message.tries > current_app.config["DISPATCH_MAX_TRIES"]:
        _give_up(message, "interrupted too often", about, clock())
        return False
    try:
        provider_id = provider_for(message.channel, message.provider).send(message)
    except DeliveryError as exc:
        _failed_try(message, exc, about, clock())
        return False
    except Exception as exc:  # a provider bug must not leave the message stuck
        _failed_try(message, DeliveryError(type(exc).__name__), about, clock())
        return False
    events.record("delivery.sent", tries=message.tries, **about)
    outcome = {"status": "sent", "claimed_until": None, "sent_at": clock(), "last_error": None}
    outcome["provider_message_id"] = provider_id
    rows.update_loaded(message, outcome | outbox.sent_content(message))
    db.session.commit()
    return True


def _failed_try(message: OutboxMessage, error: DeliveryError, about: dict, now: datetime) -> None:
    if not error.retryable or message.tries >= current_app.config["DISPATCH_MAX_TRIES"]:
        _give_up(message, error.reason, about, now)
        return
    delay = retry_delay(message.tries, float(current_app.config["DISPATCH_JITTER"]))
    events.record(
        "delivery.retry",
        tries=message.tries,
        error=error.reason,
        retry_in_seconds=int(delay.total_seconds()),
        **about,
    )
    retry = {"status": "pending", "claimed_until": None, "next_try_at": now + delay}
    rows.update_loaded(message, retry | {"last_error": error.reason})
    db.session.commit()


def _give_up(message: OutboxMessage, reason: str, about: dict, now: datetime) -> None:
    events.record("delivery.failed", tries=message.tries, error=reason, **about)
    rows.update_loaded(message, {"status": "failed", "claimed_until": None, "last_error": reason})
    db.session.commit()


def init_app(app: Flask) -> None:
    """With DISPATCHER_THREAD on, start DISPATCH_THREADS sender threads on the first
    request (never at import or in CLI commands), once per process."""
    if not app.config["DISPATCHER_THREAD"]:
        return
    dispatcher = pool(app, int(app.config["DISPATCH_THREADS"]))
    app.extensions[EXTENSION_KEY] = dispatcher
    app.before_request(dispatcher.ensure_started)


def pool(app: Flask, threads: int) -> Dispatcher:
    """Sender threads for an app (not started): the web process's, or `outbox work`'s."""
    return Dispatcher(app, send_next=send_next, housekeeping=_housekeeping, threads=threads)


def _housekeeping() -> None:
    housekeeping.purge_due(utcnow())
    db.session.commit()


def wake() -> None:
    """Tell this process's dispatcher that a message was just committed (other
    processes on PostgreSQL hear it through NOTIFY; see app.delivery.workers)."""
    if not has_app_context():
        return
    dispatcher = current_app.extensions.get(EXTENSION_KEY)
    if dispatcher is not None:
        dispatcher.wake()


def stop(app: Flask, timeout: float | None = None) -> bool:
    """Graceful shutdown of an app's dispatcher: claim nothing more, finish what was
    claimed, end its threads within `timeout` seconds. True when they all ended.
    Call it from gunicorn's `worker_exit` hook, or on SIGTERM."""
    dispatcher = app.extensions.get(EXTENSION_KEY)
    return True if dispatcher is None else dispatcher.stop(timeout)
