"""The dispatcher: sends what the outbox holds, retries with backoff, logs each fate.

`dispatch_due()` does one pass and is safe to run in several processes at once:
a message is claimed by a conditional UPDATE (pending -> sending) before it is
sent, and only the process whose UPDATE changed the row sends it. For now it runs
in a daemon thread of each web process (`init_app`), started by the first request
and woken by `wake()` after a commit, so no web request ever waits for a mail server.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from flask import Flask, current_app, has_app_context
from sqlalchemy import select, update

from app import housekeeping
from app.accounts import events

from ..extensions import db
from ..models import LoginTicket, OutboxMessage, utcnow
from . import DeliveryError, outbox, provider_for

BACKOFF_FIRST = timedelta(seconds=10)
BACKOFF_MAX = timedelta(minutes=10)
# A message left in 'sending' by a process that died is taken again after this.
CLAIM_LEASE = timedelta(minutes=5)
BATCH_SIZE = 50
EXTENSION_KEY = "latchkey_dispatcher"


def dispatch_due(now: datetime | None = None) -> int:
    """Send every due message once, then housekeeping (app/housekeeping.py).

    Runs inside an app context and commits. Returns how many messages were sent.
    `now` freezes the clock for the whole pass (tests); by default it is read as needed.
    """
    clock: Callable[[], datetime] = (lambda: now) if now is not None else utcnow
    sent = 0
    for message_id, status, next_try_at in _due(clock()):
        message = _claim(message_id, status, next_try_at, clock())
        if message is not None and _deliver(message, clock):
            sent += 1
    housekeeping.purge_due(clock())
    db.session.commit()
    return sent


def backoff(tries: int) -> timedelta:
    """Delay before the next try after `tries` failed ones: 10 s, 20 s, 40 s, … up to 10 min."""
    return min(BACKOFF_FIRST * 2 ** max(tries - 1, 0), BACKOFF_MAX)


def _due(now: datetime) -> list[tuple[int, str, datetime]]:
    """Pending messages whose time has come, and claims that outlived their lease."""
    rows = db.session.execute(
        select(OutboxMessage.id, OutboxMessage.status, OutboxMessage.next_try_at)
        .where(
            OutboxMessage.status.in_(("pending", "sending")),
            OutboxMessage.next_try_at <= now,
        )
        .order_by(OutboxMessage.next_try_at, OutboxMessage.id)
        .limit(BATCH_SIZE)
    ).all()
    db.session.commit()
    return [tuple(row) for row in rows]


def _claim(
    message_id: int, status: str, next_try_at: datetime, now: datetime
) -> OutboxMessage | None:
    """Take a message for this process; None if another process took it first.

    The UPDATE only matches the row as it was seen, so of several processes racing
    for the same message exactly one changes it (rowcount 1); the others get 0.
    """
    result = db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.status == status,
            OutboxMessage.next_try_at == next_try_at,
        )
        .values(status="sending", tries=OutboxMessage.tries + 1, next_try_at=now + CLAIM_LEASE)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if result.rowcount != 1:
        return None
    return db.session.get(OutboxMessage, message_id)


def _deliver(message: OutboxMessage, clock: Callable[[], datetime]) -> bool:
    """Send one claimed message and record its fate; True when it was sent."""
    ticket = db.session.get(LoginTicket, message.ticket_id) if message.ticket_id else None
    about = {
        "client_id": ticket.client.client_id if ticket and ticket.client else None,
        "connection": message.channel,
        "recipient": message.recipient,
        "provider": message.provider,
        "message_id": message.id,
    }
    expired = ticket is not None and ticket.expires_at < clock()
    db.session.commit()  # hold no transaction open while talking to the provider
    if expired:
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
    message.status = "sent"
    message.sent_at = clock()
    message.last_error = None
    message.provider_message_id = provider_id
    outbox.forget_sent_content(message)
    events.record("delivery.sent", tries=message.tries, **about)
    db.session.commit()
    return True


def _failed_try(message: OutboxMessage, error: DeliveryError, about: dict, now: datetime) -> None:
    if not error.retryable or message.tries >= current_app.config["DISPATCH_MAX_TRIES"]:
        _give_up(message, error.reason, about, now)
        return
    delay = backoff(message.tries)
    message.status = "pending"
    message.next_try_at = now + delay
    message.last_error = error.reason
    events.record(
        "delivery.retry",
        tries=message.tries,
        error=error.reason,
        retry_in_seconds=int(delay.total_seconds()),
        **about,
    )
    db.session.commit()


def _give_up(message: OutboxMessage, reason: str, about: dict, now: datetime) -> None:
    message.status = "failed"
    message.last_error = reason
    events.record("delivery.failed", tries=message.tries, error=reason, **about)
    db.session.commit()


class DispatcherThread:
    """One daemon thread per process that runs dispatch_due() when woken or polled."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.wakeup = threading.Event()
        self.stopping = False
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid: int | None = None

    @property
    def running(self) -> bool:
        """True when this process's thread is alive (a forked child has none yet)."""
        return self._thread is not None and self._pid == os.getpid() and self._thread.is_alive()

    def ensure_started(self) -> None:
        """Start the thread unless it already runs in this process."""
        if self.running or self.stopping:
            return
        with self._lock:
            if self.running or self.stopping:
                return
            self._pid = os.getpid()
            self._thread = threading.Thread(
                target=self._run, name="latchkey-dispatcher", daemon=True
            )
            self._thread.start()

    def stop(self, timeout: float | None = None) -> None:
        """Ask the thread to finish its pass and end (tests; shutdown)."""
        self.stopping = True
        self.wakeup.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        poll = float(self.app.config["DISPATCH_POLL_SECONDS"])
        while not self.stopping:
            self.wakeup.clear()
            self._dispatch_once()
            self.wakeup.wait(poll)

    def _dispatch_once(self) -> None:
        try:
            with self.app.app_context():
                dispatch_due()
        except Exception as exc:  # keep the thread alive; log no secrets
            self.app.logger.error("outbox dispatch failed: %s", type(exc).__name__)


def init_app(app: Flask) -> None:
    """With DISPATCHER_THREAD on, start the thread on the first request (never at import
    or in CLI commands), once per process."""
    if not app.config["DISPATCHER_THREAD"]:
        return
    dispatcher = DispatcherThread(app)
    app.extensions[EXTENSION_KEY] = dispatcher
    app.before_request(dispatcher.ensure_started)


def wake() -> None:
    """Tell this process's dispatcher that a message was just committed."""
    if not has_app_context():
        return
    dispatcher = current_app.extensions.get(EXTENSION_KEY)
    if dispatcher is not None:
        dispatcher.wakeup.set()
