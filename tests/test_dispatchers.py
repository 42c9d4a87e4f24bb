"""Dispatcher threads in one process: many senders, woken on enqueue, stopped gracefully;
retries spread by jitter; the SQLite file private and in WAL mode."""

from __future__ import annotations

import os
import stat
import threading
from datetime import timedelta

import pytest
from flask import Flask
from freezegun import freeze_time
from processes import HoldingSmtpSink, wait_for
from smtp_server import free_port
from sqlalchemy import event, select, text

from app import create_app
from app.delivery import dispatcher, outbox
from app.delivery.workers import Dispatcher
from app.extensions import db
from app.messages.rendering import RenderedEmail
from app.models import OutboxMessage, utcnow

TIMEOUT = 15


@pytest.fixture
def smtp_sink():
    with HoldingSmtpSink() as sink:
        yield sink


@pytest.fixture
def started():
    """Dispatchers a test starts, stopped at its end."""
    pools: list[Dispatcher] = []
    yield pools
    for pool in pools:
        pool.stop(timeout=10)


def queue(app: Flask, *recipients: str) -> None:
    with app.app_context():
        for recipient in recipients:
            content = RenderedEmail(subject="Your code", text=f"Hello {recipient}", html="")
            outbox.enqueue("email", recipient, content)
        db.session.commit()


def statuses(app: Flask) -> dict[str, str]:
    with app.app_context():
        rows = db.session.execute(select(OutboxMessage.recipient, OutboxMessage.status)).all()
        db.session.commit()
        return dict(rows)


def test_a_slow_mail_server_reply_holds_up_one_sender_not_the_others(make_app, smtp_sink, started):
    app = make_app(**smtp_sink.mail_config(), DISPATCH_POLL_SECONDS=0.1)
    smtp_sink.hold_only("slow@example.com")
    others = [f"quick{n}@example.com" for n in range(6)]
    pool = dispatcher.pool(app, threads=3)
    started.append(pool)
    pool.ensure_started()

    queue(app, "slow@example.com", *others)
    pool.wake()
    wait_for(lambda: len(smtp_sink.envelopes) == 6, TIMEOUT, "the six quick messages")

    assert smtp_sink.held == 1
    assert statuses(app)["slow@example.com"] == "sending"
    assert sorted(smtp_sink.received_per_recipient()) == sorted(others)
    smtp_sink.hold.clear()
    wait_for(lambda: len(smtp_sink.envelopes) == 7, TIMEOUT, "the slow message, once")
    assert set(smtp_sink.received_per_recipient().values()) == {1}


def test_stop_finishes_what_was_claimed_and_claims_nothing_more(make_app, smtp_sink, started):
    app = make_app(**smtp_sink.mail_config(), DISPATCH_POLL_SECONDS=0.1)
    smtp_sink.hold_only("claimed@example.com")
    pool = dispatcher.pool(app, threads=2)
    pool.ensure_started()
    queue(app, "claimed@example.com")
    pool.wake()
    wait_for(lambda: smtp_sink.held == 1, TIMEOUT, "the message in flight")

    assert pool.stop(timeout=0.3) is False  # still sending: not finished within 0.3 s
    threading.Timer(0.5, smtp_sink.hold.clear).start()
    assert pool.stop(timeout=TIMEOUT) is True
    assert list(statuses(app).values()) == ["sent"]  # (its recipient is masked once sent)

    queue(app, "later@example.com")
    pool.wake()
    assert not pool.running
    assert statuses(app)["later@example.com"] == "pending"
    assert [e.rcpt_tos for e in smtp_sink.envelopes] == [["claimed@example.com"]]


class Claims:
    """Counts the claim statements an app's engine runs (each one `UPDATE … 'sending'`)."""

    def __init__(self, app: Flask) -> None:
        with app.app_context():
            self.engine = db.engine
        self.count = 0
        event.listen(self.engine, "after_cursor_execute", self._statement)

    def _statement(self, conn, cursor, statement, *args) -> None:
        if statement.startswith("UPDATE outbox_messages") and "IN (SELECT" in statement:
            self.count += 1

    def close(self) -> None:
        event.remove(self.engine, "after_cursor_execute", self._statement)


@pytest.mark.parametrize("queued", [1, 3])
def test_a_pass_looks_again_only_while_another_message_was_due(app, queued):
    """The claim also says whether another message was due: the pass that takes the
    last one does not claim once more to find nothing."""
    queue(app, *[f"due{n}@example.com" for n in range(queued)])
    claims = Claims(app)
    try:
        with app.app_context():
            assert dispatcher.dispatch_due(purge=False) == queued
    finally:
        claims.close()
    assert claims.count == queued
    assert set(statuses(app).values()) == {"sent"}


def test_a_message_queued_while_the_only_sender_is_busy_is_sent_when_it_is_free(
    make_app, smtp_sink, started
):
    """Its wake comes while the thread sends (after the claim that saw nothing more due):
    the wake is kept, so the message goes as soon as the thread is free, not at the next
    poll (a minute away here)."""
    app = make_app(**smtp_sink.mail_config(), DISPATCH_POLL_SECONDS=60)
    smtp_sink.hold_only("first@example.com")
    pool = dispatcher.pool(app, threads=1)
    started.append(pool)
    pool.ensure_started()
    queue(app, "first@example.com")
    pool.wake()
    wait_for(lambda: smtp_sink.held == 1, TIMEOUT, "the first message in flight")

    queue(app, "second@example.com")
    pool.wake()
    smtp_sink.hold.clear()
    wait_for(lambda: len(smtp_sink.envelopes) == 2, TIMEOUT, "the second message")
    assert smtp_sink.received_per_recipient() == {
        "first@example.com": 1,
        "second@example.com": 1,
    }


def test_the_dispatcher_module_stops_an_apps_threads_for_gunicorns_worker_exit(make_app):
    app = make_app(DISPATCHER_THREAD=True, DISPATCH_THREADS=2, DISPATCH_POLL_SECONDS=60)
    app.test_client().get("/.well-known/openid-configuration")  # the first request starts them
    pool = app.extensions[dispatcher.EXTENSION_KEY]
    assert pool.running

    assert dispatcher.stop(app, timeout=TIMEOUT) is True
    assert not pool.running


def test_retries_are_spread_by_jitter_within_the_configured_share(make_app):
    app = make_app(
        EMAIL_PROVIDER="smtp",
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=free_port(),  # nobody listens there
        MAIL_SUPPRESS_SEND=False,
        DISPATCH_JITTER=0.5,
    )
    with freeze_time("2030-01-01 12:00:00"):
        queue(app, *[f"p{n}@example.com" for n in range(12)])
        with app.app_context():
            assert dispatcher.dispatch_due() == 0
            delays = [
                (m.next_try_at - utcnow()).total_seconds()
                for m in db.session.scalars(select(OutboxMessage))
            ]
    assert all(10 <= delay <= 15 for delay in delays)  # 10 s backoff, up to +50 %
    assert len(set(delays)) > 1  # not all at the same moment


def test_the_lease_is_set_by_config_and_names_the_claimer(make_app, smtp_sink):
    app = make_app(**smtp_sink.mail_config(), DISPATCH_LEASE_SECONDS=42)
    smtp_sink.hold_only("leased@example.com")
    queue(app, "leased@example.com")
    with freeze_time("2030-01-01 12:00:00"):
        pool = dispatcher.pool(app, threads=1)
        pool.ensure_started()
        wait_for(lambda: smtp_sink.held == 1, TIMEOUT, "the message in flight")
        with app.app_context():
            message = db.session.scalars(select(OutboxMessage)).one()
            assert message.claimed_until == utcnow() + timedelta(seconds=42)
            assert message.claimed_by.split(":")[1:] == [str(os.getpid()), "latchkey-dispatcher-1"]
            db.session.commit()
        smtp_sink.hold.clear()
        assert pool.stop(timeout=TIMEOUT)


def test_the_sqlite_file_is_private_and_in_wal_mode(tmp_path, monkeypatch):
    instance = tmp_path / "instance"
    monkeypatch.setattr(Flask, "auto_find_instance_path", lambda self: str(instance))
    monkeypatch.delenv("FLASK_SQLALCHEMY_DATABASE_URI", raising=False)
    app = create_app({"TESTING": True, "SECRET_KEY": "k", "ISSUER": "https://latchkey.test"})
    with app.app_context():
        db.create_all()
        pragmas = [
            db.session.scalar(text(f"PRAGMA {name}")) for name in ("journal_mode", "synchronous")
        ]
        db.session.commit()
        db.engine.dispose()

    assert pragmas == ["wal", 1]  # 1 = NORMAL
    assert stat.S_IMODE(instance.stat().st_mode) == 0o700
    assert stat.S_IMODE((instance / "latchkey.sqlite").stat().st_mode) == 0o600
