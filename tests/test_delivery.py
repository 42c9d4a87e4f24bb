"""Outbox, dispatcher and providers: a real SMTP server, an absent one, and the dev outbox."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from freezegun import freeze_time
from smtp_server import free_port
from sqlalchemy import select

from app.delivery import DeliveryError, claims, dispatcher, outbox, provider_for
from app.delivery.email import DevEmailProvider
from app.extensions import db
from app.messages.rendering import render_email
from app.models import Event, LoginTicket, OutboxMessage, utcnow

CODE = "482913"
HOSTILE_NAME = "<script>alert(1)</script>\r\nBcc: victim@evil.test"
RECIPIENT = "alice@example.com"


@pytest.fixture
def make_app(make_app):
    """The shared app factory, with three delivery tries."""
    return lambda **overrides: make_app(**{"DISPATCH_MAX_TRIES": 3, **overrides})


def code_email(name: str = "Acme Notes", code: str = CODE):
    return render_email(
        "email_code",
        None,
        code=code,
        application={"name": name, "clientID": "client-1", "logo_url": None},
        connection={"name": "email"},
        user={"email": RECIPIENT},
        send="code",
        request_language="en",
        expires_in_minutes=5,
    )


def new_ticket(ttl: timedelta = timedelta(minutes=5)) -> LoginTicket:
    ticket = LoginTicket(
        connection="email",
        recipient=RECIPIENT,
        code_hash="0" * 64,
        binding_hash="1" * 64,
        expires_at=utcnow() + ttl,
    )
    db.session.add(ticket)
    db.session.flush()
    return ticket


def queue_code_email(name: str = "Acme Notes", ticket: LoginTicket | None = None):
    """What the sign-in flow does: a ticket and its message, in one transaction."""
    ticket = ticket or new_ticket()
    message = outbox.enqueue("email", RECIPIENT, code_email(name), ticket_id=ticket.id)
    db.session.commit()
    return message.id, ticket.id


def events_of(type_: str) -> list[Event]:
    return db.session.scalars(select(Event).where(Event.type == type_).order_by(Event.id)).all()


def assert_no_secret_in_events():
    for event in db.session.scalars(select(Event)):
        assert CODE not in repr(event.detail)
        assert event.recipient != RECIPIENT


# --- SMTP through a real server -------------------------------------------------


def test_smtp_delivers_the_code_email(make_app, smtp_server):
    app = make_app(**smtp_server.mail_config())
    with app.app_context():
        message_id, _ = queue_code_email(HOSTILE_NAME)

        assert dispatcher.dispatch_due() == 1

        [received] = smtp_server.messages
        assert smtp_server.envelopes[0].rcpt_tos == [RECIPIENT]
        assert received["To"] == RECIPIENT
        assert "no-reply@localhost" in received["From"]
        assert CODE in received["Subject"]
        assert "\r" not in received["Subject"] and "\n" not in received["Subject"]
        assert received["Bcc"] is None
        text = received.get_body(("plain",)).get_content()
        html = received.get_body(("html",)).get_content()
        assert CODE in text and CODE in html
        assert "<script>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html

        message = db.session.get(OutboxMessage, message_id)
        assert (message.status, message.tries, message.provider) == ("sent", 1, "smtp")
        assert message.sent_at is not None
        [sent] = events_of("delivery.sent")
        assert sent.detail["provider"] == "smtp"
        assert sent.detail["message_id"] == message_id
        assert_no_secret_in_events()


def test_sender_of_the_message_is_used(make_app, smtp_server):
    app = make_app(**smtp_server.mail_config())
    with app.app_context():
        outbox.enqueue("email", RECIPIENT, code_email(), sender="Acme <login@acme.test>")
        db.session.commit()
        dispatcher.dispatch_due()
    [received] = smtp_server.messages
    assert received["From"] == "Acme <login@acme.test>"


def test_absent_smtp_server_retries_with_backoff_then_fails(make_app):
    app = make_app(
        EMAIL_PROVIDER="smtp",
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=free_port(),  # nobody listens there
        MAIL_SUPPRESS_SEND=False,
    )
    with app.app_context(), freeze_time("2030-01-01 12:00:00") as clock:
        message_id, _ = queue_code_email(ticket=new_ticket(ttl=timedelta(hours=1)))

        assert dispatcher.dispatch_due() == 0
        message = db.session.get(OutboxMessage, message_id)
        assert (message.status, message.tries) == ("pending", 1)
        assert message.next_try_at == utcnow() + timedelta(seconds=10)
        [retry] = events_of("delivery.retry")
        assert retry.detail["error"] == "ConnectionRefusedError"
        assert retry.detail["tries"] == 1

        # Not due yet: nothing happens.
        assert dispatcher.dispatch_due() == 0
        assert db.session.get(OutboxMessage, message_id).tries == 1

        clock.tick(timedelta(seconds=10))
        dispatcher.dispatch_due()
        message = db.session.get(OutboxMessage, message_id)
        assert (message.status, message.tries) == ("pending", 2)
        assert message.next_try_at == utcnow() + timedelta(seconds=20)

        clock.tick(timedelta(seconds=20))
        dispatcher.dispatch_due()  # third and last try (DISPATCH_MAX_TRIES = 3)
        message = db.session.get(OutboxMessage, message_id)
        assert (message.status, message.tries) == ("failed", 3)
        assert len(events_of("delivery.retry")) == 2
        [failed] = events_of("delivery.failed")
        assert failed.detail["tries"] == 3
        assert failed.detail["error"] == "ConnectionRefusedError"

        clock.tick(timedelta(hours=1))
        assert dispatcher.dispatch_due() == 0
        assert db.session.get(OutboxMessage, message_id).tries == 3
        assert_no_secret_in_events()


def test_refused_recipient_is_not_retried(make_app, smtp_server):
    smtp_server.refuse(RECIPIENT)
    app = make_app(**smtp_server.mail_config())
    with app.app_context():
        message_id, _ = queue_code_email()
        assert dispatcher.dispatch_due() == 0
        message = db.session.get(OutboxMessage, message_id)
        assert (message.status, message.tries) == ("failed", 1)
        [failed] = events_of("delivery.failed")
        assert failed.detail["error"] == "recipient refused (550)"
        assert smtp_server.messages == []


def test_busy_recipient_is_retried(make_app, smtp_server):
    smtp_server.refuse(RECIPIENT, "451 4.3.0 Try again later")
    app = make_app(**smtp_server.mail_config())
    with app.app_context():
        message_id, _ = queue_code_email()
        dispatcher.dispatch_due()
        assert db.session.get(OutboxMessage, message_id).status == "pending"


# --- Claims ---------------------------------------------------------------------


def test_dispatching_twice_sends_once(make_app, smtp_server):
    app = make_app(**smtp_server.mail_config())
    with app.app_context():
        queue_code_email()
        assert dispatcher.dispatch_due() == 1
        assert dispatcher.dispatch_due() == 0
    assert len(smtp_server.messages) == 1


def test_dispatchers_racing_for_one_message_claim_it_once(make_app):
    """Threads that all find the message due at once: one claim takes it."""
    app = make_app()
    with app.app_context():
        message_id, _ = queue_code_email()
    start = threading.Barrier(4)

    def take() -> int | None:
        with app.app_context():
            start.wait(timeout=30)
            message = claims.claim(utcnow(), dispatcher.CLAIM_LEASE)
            db.session.commit()
            return message.id if message is not None else None

    threads_taken: list[int | None] = []
    threads = [threading.Thread(target=lambda: threads_taken.append(take())) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(threads_taken, key=lambda taken: taken is None) == [message_id, None, None, None]
    with app.app_context():
        message = db.session.get(OutboxMessage, message_id)
        assert (message.status, message.tries) == ("sending", 1)


def test_a_claim_abandoned_by_a_dead_process_is_taken_again(make_app):
    app = make_app()
    with app.app_context(), freeze_time("2030-01-01 12:00:00") as clock:
        message_id, _ = queue_code_email(ticket=new_ticket(ttl=timedelta(hours=1)))
        message = db.session.get(OutboxMessage, message_id)
        message.status, message.tries = "sending", 1
        message.next_try_at = utcnow() + dispatcher.CLAIM_LEASE
        db.session.commit()

        assert dispatcher.dispatch_due() == 0
        clock.tick(dispatcher.CLAIM_LEASE)
        assert dispatcher.dispatch_due() == 1
        message = db.session.get(OutboxMessage, message_id)
        assert (message.status, message.tries) == ("sent", 2)


def test_backoff_doubles_up_to_a_cap():
    delays = [dispatcher.backoff(tries).total_seconds() for tries in range(1, 10)]
    assert delays[:4] == [10, 20, 40, 80]
    assert max(delays) == dispatcher.BACKOFF_MAX.total_seconds()


# --- Resend and purge -------------------------------------------------------------


def test_resend_queues_the_same_content(app):
    with app.app_context():
        first_id, ticket_id = queue_code_email()
        copy = outbox.resend(ticket_id)
        db.session.commit()
        first = db.session.get(OutboxMessage, first_id)
        assert copy.id != first.id
        assert (copy.subject, copy.body_text, copy.body_html) == (
            first.subject,
            first.body_text,
            first.body_html,
        )
        assert (copy.recipient, copy.ticket_id, copy.status, copy.tries) == (
            RECIPIENT,
            ticket_id,
            "pending",
            0,
        )
        assert CODE in copy.subject


def test_resend_without_a_message_is_none(app):
    with app.app_context():
        ticket = new_ticket()
        assert outbox.resend(ticket.id) is None
        assert outbox.resend("no-such-ticket") is None


def test_content_is_removed_once_the_ticket_expires(app, client):
    with app.app_context(), freeze_time("2030-01-01 12:00:00") as clock:
        message_id, ticket_id = queue_code_email()
        assert dispatcher.dispatch_due() == 1  # dev provider

        clock.tick(timedelta(minutes=4))
        dispatcher.dispatch_due()
        assert CODE in db.session.get(OutboxMessage, message_id).body_text

        clock.tick(timedelta(minutes=2))
        dispatcher.dispatch_due()
        message = db.session.get(OutboxMessage, message_id)
        assert (message.subject, message.body_text, message.body_html) == ("", "", "")
        assert message.status == "sent"
        assert outbox.resend(ticket_id) is None

    page = client.get("/dev/outbox")
    assert "(expired, content removed)" in page.text
    assert CODE not in page.text
    assert client.get(f"/dev/outbox/{message_id}.html").status_code == 404


def test_message_of_an_expired_ticket_is_not_sent(make_app, smtp_server):
    app = make_app(**smtp_server.mail_config())
    with app.app_context(), freeze_time("2030-01-01 12:00:00") as clock:
        message_id, _ = queue_code_email()
        clock.tick(timedelta(minutes=6))
        assert dispatcher.dispatch_due() == 0
        message = db.session.get(OutboxMessage, message_id)
        assert message.status == "failed"
        assert message.body_text == ""
        [failed] = events_of("delivery.failed")
        assert failed.detail["error"] == "ticket expired before delivery"
    assert smtp_server.messages == []


# --- Providers --------------------------------------------------------------------


def test_unknown_provider_fails_without_retry(app):
    with app.app_context():
        message_id, _ = queue_code_email()
        db.session.get(OutboxMessage, message_id).provider = "pigeon"
        db.session.commit()
        dispatcher.dispatch_due()
        message = db.session.get(OutboxMessage, message_id)
        assert (message.status, message.tries) == ("failed", 1)


def test_provider_registry_is_keyed_by_channel():
    assert provider_for("email", "dev").name == "dev"
    assert provider_for("email", "smtp").name == "smtp"
    with pytest.raises(DeliveryError) as error:
        provider_for("sms", "smtp")
    assert error.value.retryable is False


def test_enqueue_does_not_commit(app):
    with app.app_context():
        message = outbox.enqueue("email", RECIPIENT, code_email())
        assert message.provider == "dev"
        db.session.rollback()
        assert db.session.scalars(select(OutboxMessage)).all() == []


# --- Dev outbox page -------------------------------------------------------------


def test_dev_outbox_shows_the_code(app, client):
    with app.app_context():
        message_id, _ = queue_code_email(HOSTILE_NAME)

    page = client.get("/dev/outbox")
    assert page.status_code == 200
    assert CODE in page.text
    assert RECIPIENT in page.text
    assert "pending" in page.text
    assert "<script>alert(1)</script>" not in page.text
    assert f"/dev/outbox/{message_id}.html" in page.text

    html = client.get(f"/dev/outbox/{message_id}.html")
    assert html.status_code == 200
    assert html.mimetype == "text/html"
    assert CODE in html.text
    csp = html.headers["Content-Security-Policy"]
    assert csp.startswith("sandbox;")
    assert "default-src 'none'" in csp


def test_dev_outbox_lists_newest_first(app, client):
    with app.app_context():
        queue_code_email("First App")
        queue_code_email("Second App")
    page = client.get("/dev/outbox").text
    assert page.index("Second App") < page.index("First App")


def test_dev_outbox_is_absent_when_turned_off(make_app):
    app = make_app(DEV_OUTBOX=False)
    assert app.test_client().get("/dev/outbox").status_code == 404


# --- Dispatcher thread ------------------------------------------------------------


def dispatcher_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("latchkey-dispatcher-")]


def test_dispatcher_thread_starts_on_first_request_and_sends_when_woken(make_app, monkeypatch):
    sent = threading.Event()
    monkeypatch.setattr(DevEmailProvider, "send", lambda self, message: sent.set())
    before = len(dispatcher_threads())
    app = make_app(DISPATCHER_THREAD=True, DISPATCH_POLL_SECONDS=60, DISPATCH_THREADS=3)
    assert len(dispatcher_threads()) == before  # not at start, nor in CLI commands

    client = app.test_client()
    client.get("/dev/outbox")
    client.get("/dev/outbox")
    thread = app.extensions[dispatcher.EXTENSION_KEY]
    assert thread.running
    assert len(dispatcher_threads()) == before + 3

    with app.app_context():
        message_id, _ = queue_code_email()
        dispatcher.wake()
    assert sent.wait(timeout=10)  # long before the 60 s poll
    thread.stop(timeout=10)
    assert not thread.running
    with app.app_context():
        assert db.session.get(OutboxMessage, message_id).status == "sent"


def test_wake_without_a_thread_is_harmless(app):
    dispatcher.wake()
    with app.app_context():
        dispatcher.wake()
