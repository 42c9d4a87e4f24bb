"""Housekeeping: `flask purge`, the dispatcher's periodic purge, `flask outbox …`,
and RFC 5321's limits on addresses."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from freezegun import freeze_time
from helpers import LoginPage, RelyingApp, query_of, visible_text
from sqlalchemy import func, select

from app import housekeeping
from app.delivery import dispatcher
from app.extensions import db
from app.models import (
    AccessToken,
    AuthorizationCode,
    BrowserSession,
    Event,
    LoginTicket,
    OutboxMessage,
    RefreshToken,
    User,
    utcnow,
)

TABLES = {
    "tickets": LoginTicket,
    "messages": OutboxMessage,
    "authorization_codes": AuthorizationCode,
    "access_tokens": AccessToken,
    "sessions": BrowserSession,
    "events": Event,
}


def counts(app) -> dict[str, int]:
    with app.app_context():
        return {
            name: db.session.scalar(select(func.count()).select_from(model))
            for name, model in TABLES.items()
        }


def full_sign_in(app, relying_app: RelyingApp, email: str) -> None:
    """Authorize, code, callback and token exchange: a row in every table."""
    person = LoginPage(app.test_client())
    done = person.sign_in(email, **relying_app.authorize_params(nonce=f"n-{email}"))
    code = query_of(done.headers["Location"])["code"]
    assert relying_app.exchange(app.test_client(), code).status_code == 200
    with app.app_context():
        dispatcher.dispatch_due()


def purge(app) -> dict[str, int]:
    result = app.test_cli_runner().invoke(args=["purge", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_purge_deletes_each_kind_after_its_retention(make_app):
    app = make_app(PURGE_INTERVAL=0)  # only `flask purge` deletes here
    with freeze_time("2030-01-01 12:00:00") as clock:
        relying_app = RelyingApp.register(app)
        full_sign_in(app, relying_app, "old@example.com")
        before = counts(app)
        assert all(before[name] >= 1 for name in TABLES), before

        clock.tick(timedelta(days=2))  # codes and tokens ended over a day ago
        purged = purge(app)
        assert purged["authorization_codes"] == 1 and purged["access_tokens"] == 1
        assert purged["tickets"] == purged["messages"] == purged["sessions"] == 0
        assert purged["events"] == 0

        clock.tick(timedelta(days=8))  # the session's idle limit (3 days) + 1 day passed
        full_sign_in(app, relying_app, "new@example.com")  # fresh rows stay
        purged = purge(app)
        assert purged["messages"] == 1 and purged["sessions"] == 1
        assert purged["tickets"] == 0

        clock.tick(timedelta(days=32))
        full_sign_in(app, relying_app, "newer@example.com")
        purged = purge(app)
        assert purged["tickets"] == 2  # old@ and new@ ended more than 31 days ago
        left = counts(app)
        assert left["tickets"] == 1 and left["messages"] == 1

        clock.tick(timedelta(days=60))
        purged = purge(app)
        assert purged["events"] > 0
        with app.app_context():
            oldest = db.session.scalar(select(func.min(Event.created_at)))
            assert oldest >= utcnow() - timedelta(days=90)


def test_purge_deletes_refresh_tokens_a_day_after_they_expire_or_are_revoked(make_app):
    app = make_app(PURGE_INTERVAL=0)
    with freeze_time("2030-01-01 12:00:00") as clock, app.app_context():
        user = User()
        db.session.add(user)
        db.session.flush()
        now = utcnow()

        def token(name: str, expires_in: timedelta, revoked: bool = False) -> None:
            db.session.add(
                RefreshToken(
                    token_hash=name.ljust(64, "0"),
                    family_id=name,
                    client_id="app",
                    user_id=user.id,
                    family_started_at=now,
                    expires_at=now + expires_in,
                    revoked_at=now if revoked else None,
                )
            )

        token("expired", timedelta(hours=1))
        token("revoked", timedelta(days=30), revoked=True)
        token("alive", timedelta(days=30))
        db.session.commit()

        clock.tick(timedelta(days=2))
        assert purge(app)["refresh_tokens"] == 2
        left = db.session.scalars(select(RefreshToken.family_id)).all()
        assert left == ["alive"]


def test_dispatcher_purges_at_most_every_interval(make_app):
    app = make_app(PURGE_INTERVAL=600, RETAIN_EVENTS_DAYS=1)
    with app.app_context(), freeze_time("2030-01-01 12:00:00") as clock:
        db.session.add(Event(type="old.one", created_at=utcnow() - timedelta(days=2)))
        db.session.commit()
        assert housekeeping.purge_due(utcnow())["events"] == 1

        db.session.add(Event(type="old.two", created_at=utcnow() - timedelta(days=2)))
        db.session.commit()
        clock.tick(timedelta(minutes=5))
        dispatcher.dispatch_due()
        assert db.session.scalar(select(func.count()).select_from(Event)) == 1  # not yet
        clock.tick(timedelta(minutes=6))
        dispatcher.dispatch_due()
        assert db.session.scalar(select(func.count()).select_from(Event)) == 0


def test_retention_below_a_day_is_refused(make_app):
    from app.config import ConfigError

    with pytest.raises(ConfigError, match="FLASK_RETAIN_MESSAGES_DAYS must be at least 1"):
        make_app(RETAIN_MESSAGES_DAYS=0)


# --- flask outbox status | retry | purge ------------------------------------------------


@pytest.fixture
def failed_sms(make_app, gateway):
    """An SMS that failed for good (gateway 500, one try allowed), its page still open."""
    gateway.answer_with(500)
    app = make_app(**gateway.config(DISPATCH_MAX_TRIES=1))
    relying_app = RelyingApp.register(app, connections=("sms",))
    person = LoginPage(app.test_client())
    person.open_authorize(**relying_app.authorize_params())
    person.submit_phone("+14155552671")
    with app.app_context():
        dispatcher.dispatch_due()
    return app, person


def test_outbox_status_shows_counts_and_failures_without_the_number(failed_sms):
    app, _ = failed_sms
    result = app.test_cli_runner().invoke(args=["outbox", "status"])
    assert result.exit_code == 0, result.output
    assert "failed   sms          1" in result.output
    assert "via gateway after 1 tries: gateway HTTP 500" in result.output
    assert "+14155552671" not in result.output
    shown = json.loads(app.test_cli_runner().invoke(args=["outbox", "status", "--json"]).output)
    assert shown["counts"] == [{"status": "failed", "channel": "sms", "messages": 1}]
    assert shown["failures"][0]["error"] == "gateway HTTP 500"


def test_outbox_retry_sends_a_failed_message_again(failed_sms, gateway):
    app, person = failed_sms
    gateway.answer_with(200)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["outbox", "retry"]).exit_code == 2  # ids or --all-failed
    result = runner.invoke(args=["outbox", "retry", "--all-failed"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Queued again: 1")
    with app.app_context():
        assert dispatcher.dispatch_due() == 1
    assert len(gateway.received) == 2
    person.open_code_page()
    assert "Text message sent." in visible_text(person.page)
    again = runner.invoke(args=["outbox", "retry", "1", "99"])
    assert "Skipped #1: already sent" in again.output
    assert "Skipped #99: no such message" in again.output


def test_outbox_purge_deletes_old_finished_messages(failed_sms):
    app, _ = failed_sms
    runner = app.test_cli_runner()
    kept = runner.invoke(args=["outbox", "purge"])
    assert kept.exit_code == 0 and kept.output.startswith("Deleted 0 messages older than 7 days")
    with freeze_time(utcnow() + timedelta(days=3)):
        gone = runner.invoke(args=["outbox", "purge", "--older-than", "2"])
    assert gone.output.startswith("Deleted 1 messages older than 2 days")
    assert counts(app)["messages"] == 0


# --- RFC 5321 limits --------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "accepted", "says"),
    [
        ("l" * 64 + "@example.com", True, None),
        (
            "l" * 65 + "@example.com",
            False,
            "The part before the @ can be at most 64 characters long.",
        ),
        (
            "l" * 70 + "@example.com",
            False,
            "The part before the @ can be at most 64 characters long.",
        ),
        (
            "a@" + ("d" * 63 + ".") * 3 + "d" * 57 + ".com",
            False,
            "An email address can be at most 254 characters long.",
        ),
        (
            "a" * 60 + "@" + ("d" * 63 + ".") * 3 + "com",
            False,
            "An email address can be at most 254 characters long.",
        ),
        ("a" * 50 + "@" + ("d" * 63 + ".") * 3 + "com", True, None),
    ],
)
def test_rfc_5321_lengths(app, address, accepted, says):
    relying_app = RelyingApp.register(app)
    person = LoginPage(app.test_client())
    person.open_authorize(**relying_app.authorize_params())
    answer = person.submit_email(address)
    if accepted:
        assert answer.status_code == 303
        return
    assert answer.status_code == 400
    assert says in visible_text(person.page)


def test_rfc_5321_message_is_translated(app):
    relying_app = RelyingApp.register(app)
    person = LoginPage(app.test_client())
    person.open_authorize(**relying_app.authorize_params(ui_locales="de"))
    assert person.submit_email("l" * 70 + "@example.com").status_code == 400
    assert "Der Teil vor dem @ darf höchstens 64 Zeichen lang sein." in visible_text(person.page)
