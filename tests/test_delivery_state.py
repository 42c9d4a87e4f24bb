"""What the code and waiting pages say about the message: sending, sent, delayed, failed.

Real parts: an aiosmtpd server that goes down and comes back on the same port, an
SMS gateway answering 500 again and again, the real dispatcher; frozen time instead
of sleeping through the backoff.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from freezegun import freeze_time
from helpers import LoginPage, RelyingApp, csrf_token, query_of, visible_text
from smtp_server import SmtpSink, free_port

from app.delivery import dispatcher
from app.extensions import db
from app.models import OutboxMessage

PHONE = "+14155552671"
SENDING = "Sending the email…"
DELAYED = "The email is delayed. We're still trying to send it."
SENT = "Email sent. It can take a minute to arrive."


def delivery_line(page: LoginPage) -> str:
    """The delivery line as the person reads it on the page just seen."""
    found = re.search(r'<p class="lk-delivery-line"[^>]*>(.*?)</p>', page.page, re.S)
    assert found, "the page shows no delivery line"
    return visible_text(found.group(1))


def status_json(page: LoginPage) -> dict:
    response = page.client.get(f"/login/delivery/{page.ticket_id}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    return response.get_json()


def ask_code(app, relying_app: RelyingApp, email: str) -> LoginPage:
    person = LoginPage(app.test_client())
    person.open_authorize(**relying_app.authorize_params(nonce=f"nonce-{email}"))
    assert person.submit_email(email).status_code == 303
    person.open_code_page()
    return person


def codes_in(sink: SmtpSink) -> dict[str, list[str]]:
    """The codes each address received, in order."""
    received: dict[str, list[str]] = {}
    for message in sink.messages:
        code = re.search(r"\b(\d{6})\b", message["Subject"]).group(1)
        received.setdefault(message["To"], []).append(code)
    return received


def test_smtp_down_then_up_delivers_every_message_once_and_says_delayed_meanwhile(make_app):
    port = free_port()
    first_sink = SmtpSink(port=port)
    app = make_app(**first_sink.mail_config())
    relying_app = RelyingApp.register(app)
    with freeze_time("2030-01-01 12:00:00") as clock:
        with first_sink:
            early = ask_code(app, relying_app, "early@example.com")
            assert delivery_line(early) == SENDING
            with app.app_context():
                assert dispatcher.dispatch_due() == 1
            early.open_code_page()
            assert delivery_line(early) == SENT
        # The server is down: the kept connection is dead and nobody listens.
        people = [ask_code(app, relying_app, f"p{n}@example.com") for n in range(4)]
        for _ in range(3):
            with app.app_context():
                assert dispatcher.dispatch_due() == 0
            for person in people:
                person.open_code_page()
                assert delivery_line(person) == DELAYED
                assert status_json(person) == {"state": "delayed", "line": DELAYED, "reason": None}
            clock.tick(timedelta(minutes=1))
        with SmtpSink(port=port) as second_sink:
            with app.app_context():
                assert dispatcher.dispatch_due() == 4
                assert dispatcher.dispatch_due() == 0  # nothing left, nothing sent twice
            for person in people:
                person.open_code_page()
                assert delivery_line(person) == SENT
                assert status_json(person)["state"] == "sent"
            received = codes_in(second_sink)
        assert sorted(received) == [f"p{n}@example.com" for n in range(4)]
        assert all(len(codes) == 1 for codes in received.values())
        for n, person in enumerate(people):  # nothing lost: each code signs its person in
            done = person.enter_code(received[f"p{n}@example.com"][0])
            assert done.status_code == 302 and "code" in query_of(done.headers["Location"])

    assert list(codes_in(first_sink)) == ["early@example.com"]
    assert len(first_sink.messages) == 1
    with app.app_context():
        statuses = db.session.scalars(db.select(OutboxMessage.status)).all()
    assert statuses == ["sent"] * 5


def test_smtp_connection_is_kept_for_the_next_messages(make_app, smtp_server):
    app = make_app(**smtp_server.mail_config())
    relying_app = RelyingApp.register(app)
    for n in range(5):
        ask_code(app, relying_app, f"kept{n}@example.com")
    with app.app_context():
        assert dispatcher.dispatch_due() == 5
    assert len(smtp_server.messages) == 5
    assert smtp_server.connections == 1


def test_a_kept_connection_the_server_dropped_is_opened_again_at_once(make_app):
    port = free_port()
    with SmtpSink(port=port) as first:
        app = make_app(**first.mail_config())
        relying_app = RelyingApp.register(app)
        ask_code(app, relying_app, "before@example.com")
        with app.app_context():
            assert dispatcher.dispatch_due() == 1
    with SmtpSink(port=port) as restarted:  # the server restarted: the kept socket is dead
        ask_code(app, relying_app, "after@example.com")
        with app.app_context():
            assert dispatcher.dispatch_due() == 1
            newest = db.session.scalars(
                db.select(OutboxMessage).order_by(OutboxMessage.id.desc())
            ).first()
            assert (newest.status, newest.tries, newest.last_error) == ("sent", 1, None)
        assert [m["To"] for m in restarted.messages] == ["after@example.com"]
    assert [m["To"] for m in first.messages] == ["before@example.com"]


def test_smtp_connection_idle_too_long_is_opened_again(make_app, smtp_server):
    app = make_app(MAIL_KEEPALIVE=0, **smtp_server.mail_config())
    relying_app = RelyingApp.register(app)
    for n in range(3):
        ask_code(app, relying_app, f"idle{n}@example.com")
    with app.app_context():
        assert dispatcher.dispatch_due() == 3
    assert smtp_server.connections == 3


# --- An SMS gateway that keeps failing ----------------------------------------------


def sms_person(app, relying_app: RelyingApp) -> LoginPage:
    person = LoginPage(app.test_client())
    person.open_authorize(**relying_app.authorize_params(connection="sms"))
    assert person.submit_phone(PHONE).status_code == 303
    person.open_code_page()
    return person


def fail_until_given_up(app, clock) -> None:
    """Let the dispatcher try until it gives up (3 tries: 10 s, then 20 s apart)."""
    for _ in range(app.config["DISPATCH_MAX_TRIES"] - 1):
        clock.tick(timedelta(seconds=30))
        with app.app_context():
            dispatcher.dispatch_due()


@pytest.mark.parametrize(
    ("connections", "other_way"),
    [(("email", "sms"), "Sign in with email instead"), (("sms",), None)],
)
def test_gateway_answering_500_again_and_again_is_told_with_choices(
    make_app, gateway, connections, other_way
):
    gateway.answer_with(500)
    app = make_app(**gateway.config(DISPATCH_MAX_TRIES=3))
    relying_app = RelyingApp.register(app, connections=connections)
    with freeze_time("2030-01-01 12:00:00") as clock:
        person = sms_person(app, relying_app)
        assert delivery_line(person) == "Sending the text message…"
        with app.app_context():
            dispatcher.dispatch_due()
        person.open_code_page()
        assert delivery_line(person) == (
            "The text message is delayed. We're still trying to send it."
        )
        fail_until_given_up(app, clock)
        person.open_code_page()
        reason = "Try again in a moment, or sign in another way."
        assert delivery_line(person) == f"We couldn't send the text message. {reason}"
        assert status_json(person) == {
            "state": "failed",
            "line": "We couldn't send the text message.",
            "reason": reason,
        }
        text = visible_text(person.page)
        assert "Try again" in text
        assert 'form="lk-resend">Try again</button>' in person.page
        if other_way:
            link = re.search(r'<a class="lk-link" href="([^"]+)">' + other_way, person.page)
            assert link and "connection=email" in link.group(1)
            assert person.client.get(link.group(1).replace("&amp;", "&")).status_code == 200
        else:
            assert "instead" not in text
        assert len(gateway.received) == 3

        gateway.answer_with(200)
        again = person.client.post(
            f"/login/resend/{person.ticket_id}", data={"csrf_token": csrf_token(person.page)}
        )
        assert again.status_code == 303
        person.open_code_page()
        assert delivery_line(person) == "Sending the text message…"
        with app.app_context():
            assert dispatcher.dispatch_due() == 1
        person.open_code_page()
        assert delivery_line(person) == "Text message sent. It can take a minute to arrive."
    assert len(gateway.received) == 4


def test_a_refused_address_reads_failed_in_french(make_app, smtp_server):
    smtp_server.refuse("gone@example.com")
    app = make_app(**smtp_server.mail_config())
    relying_app = RelyingApp.register(app)
    person = LoginPage(app.test_client())
    person.open_authorize(**relying_app.authorize_params(ui_locales="fr"))
    person.submit_email("gone@example.com")
    with app.app_context():
        dispatcher.dispatch_due()
    person.open_code_page()
    assert delivery_line(person) == (
        "Nous n'avons pas pu envoyer l'e-mail. Le serveur de messagerie a refusé cette "
        "adresse. Vérifiez-la, ou utilisez-en une autre."
    )
    assert "Réessayer" in visible_text(person.page)


# --- The status endpoint tells only the browser that asked ------------------------


def test_status_is_only_for_the_browser_that_asked(app):
    relying_app = RelyingApp.register(app)
    person = ask_code(app, relying_app, "mine@example.com")
    stranger = app.test_client()
    elsewhere = stranger.get(f"/login/delivery/{person.ticket_id}")
    unknown = stranger.get("/login/delivery/no-such-ticket")
    assert elsewhere.status_code == unknown.status_code == 404
    assert elsewhere.get_json() == unknown.get_json() == {"error": "not_found"}
    answer = status_json(person)
    assert set(answer) == {"state", "line", "reason"}
    assert "mine@example.com" not in str(answer)


def test_an_address_that_gets_no_message_reads_like_one_that_does(app):
    relying_app = RelyingApp.register(app)
    from app.accounts import connections

    with freeze_time("2030-01-01 12:00:00") as clock:
        known = ask_code(app, relying_app, "known@example.com")
        with app.app_context():
            connections.update_connection("email", signup_allowed=False)
            db.session.commit()
        refused = ask_code(app, relying_app, "refused@example.com")
        assert (
            status_json(known)
            == status_json(refused)
            == {
                "state": "sending",
                "line": SENDING,
                "reason": None,
            }
        )
        clock.tick(timedelta(seconds=3))
        with app.app_context():
            dispatcher.dispatch_due()
        assert (
            status_json(known)
            == status_json(refused)
            == {
                "state": "sent",
                "line": SENT,
                "reason": None,
            }
        )


def test_the_link_waiting_page_shows_the_delivery_line(app):
    from app.accounts import connections

    with app.app_context():
        connections.update_connection("email", send="link")
        db.session.commit()
    relying_app = RelyingApp.register(app)
    person = LoginPage(app.test_client())
    person.open_authorize(**relying_app.authorize_params())
    started = person.submit_email("linked@example.com")
    person.follow(started)
    assert "/login/wait/" in started.headers["Location"]
    assert delivery_line(person) == SENDING
    assert "delivery.js" in person.page
    with app.app_context():
        dispatcher.dispatch_due()
    person.follow(started)
    assert delivery_line(person) == SENT
    assert "delivery.js" not in person.page  # nothing left to ask


def test_the_providers_id_is_kept_for_troubleshooting(make_app, twilio):
    app = make_app(**twilio.config())
    relying_app = RelyingApp.register(app, connections=("sms",))
    person = sms_person(app, relying_app)
    with app.app_context():
        assert dispatcher.dispatch_due() == 1
        [row] = db.session.scalars(db.select(OutboxMessage)).all()
        assert (row.status, row.provider, row.provider_message_id) == (
            "sent",
            "twilio",
            "SM" + "1" * 32,
        )
    person.open_code_page()
    assert delivery_line(person) == "Text message sent. It can take a minute to arrive."
