"""The whole email-code sign-in through a real SMTP server, and a page that never waits for it."""

from __future__ import annotations

import re
import threading

from helpers import LoginPage, RelyingApp, query_of

from app.delivery import dispatcher
from app.delivery.email import SmtpEmailProvider
from app.extensions import db
from app.models import OutboxMessage


def test_code_arrives_by_smtp_and_signs_the_user_in(make_app, smtp_server):
    app = make_app(**smtp_server.mail_config())
    shop = RelyingApp.register(app)
    person = LoginPage(app.test_client())

    person.open_authorize(**shop.authorize_params())
    assert person.submit_email("grace@example.com").status_code == 303
    with app.app_context():
        assert dispatcher.dispatch_due() == 1

    (message,) = smtp_server.messages
    assert message["To"] == "grace@example.com"
    code = re.search(r"\b(\d{6})\b", message["Subject"]).group(1)
    assert code in message.get_body(("plain",)).get_content()
    done = person.enter_code(code)

    assert done.status_code == 302
    callback = done.headers["Location"]
    assert callback.startswith(shop.callback + "?")
    assert query_of(callback)["state"] == shop.state
    assert shop.exchange(app.test_client(), query_of(callback)["code"]).status_code == 200


def test_the_page_answers_while_the_mail_server_hangs(make_app, smtp_server, monkeypatch):
    """The dispatcher thread is stuck inside the SMTP provider; the sign-in page still
    answers, and the message is waiting in the outbox, not lost."""
    sending = threading.Event()
    release = threading.Event()

    def hanging_send(self, message):
        sending.set()
        release.wait(timeout=30)

    monkeypatch.setattr(SmtpEmailProvider, "send", hanging_send)
    app = make_app(
        DISPATCHER_THREAD=True,
        DISPATCH_THREADS=1,  # one sender, stuck: the second message waits its turn
        DISPATCH_POLL_SECONDS=0.05,
        **smtp_server.mail_config(),
    )
    shop = RelyingApp.register(app)
    person = LoginPage(app.test_client())
    try:
        person.open_authorize(**shop.authorize_params())
        assert person.submit_email("first@example.com").status_code == 303
        assert sending.wait(timeout=10), "the dispatcher thread picked the message up"

        person.open_authorize(**shop.authorize_params())
        second = person.submit_email("second@example.com")

        assert second.status_code == 303
        assert person.open_code_page().status_code == 200
        with app.app_context():
            waiting = db.session.query(OutboxMessage).filter_by(recipient="second@example.com")
            assert waiting.one().status == "pending"
    finally:
        release.set()
