"""The SMS providers against real loopback servers: Twilio's Messages API through the
twilio SDK, and a custom gateway (Auth0's contract) that verifies its JWT."""

from __future__ import annotations

import logging

import pytest
from helpers import LoginPage, RelyingApp, visible_text
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OctKey
from joserfc.jwt import JWTClaimsRegistry
from sms_servers import SmsGateway
from sqlalchemy import select

from app.delivery import dispatcher
from app.delivery.sms import explain
from app.extensions import db
from app.models import Event, OutboxMessage

PHONE = "+447400123456"
SECRET = "gateway-secret-that-is-long-enough-0123456789"


def ask_for_code(app, phone: str = PHONE, user_agent: str = "Phone Browser/1.0"):
    """A person asks for a code by SMS on the hosted page, then the dispatcher runs."""
    relying_app = RelyingApp.register(app, connections=("sms",))
    person = LoginPage(app.test_client())
    person.client.environ_base["HTTP_USER_AGENT"] = user_agent
    person.open_authorize(**relying_app.authorize_params())
    started = person.submit_phone(phone, "GB")
    assert started.status_code == 303, started.get_data(as_text=True)
    with app.app_context():
        dispatcher.dispatch_due()
    return person


def outbox_rows(app) -> list[tuple[str, int, str | None]]:
    with app.app_context():
        rows = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        return [(row.status, row.tries, row.last_error) for row in rows]


def events_of(app, type_: str) -> list[Event]:
    with app.app_context():
        return db.session.scalars(select(Event).where(Event.type == type_)).all()


# --- Twilio -------------------------------------------------------------------------


def test_twilio_sends_through_the_messages_api(make_app, twilio):
    app = make_app(**twilio.config())
    ask_for_code(app)
    [request] = twilio.received
    assert request.body["To"] == PHONE
    assert request.body["From"] == "+15005550006"
    assert request.body["Body"].rstrip().endswith(f"#{request.code}")
    assert outbox_rows(app) == [("sent", 1, None)]


def test_twilio_with_a_messaging_service(make_app, twilio):
    app = make_app(**twilio.config(SMS_FROM=None, TWILIO_MESSAGING_SERVICE_SID="MG" + "2" * 32))
    ask_for_code(app)
    [request] = twilio.received
    assert request.body["MessagingServiceSid"] == "MG" + "2" * 32
    assert "From" not in request.body


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (21211, "This phone number is not valid."),
        (21408, "We can't send SMS to this country."),
        (21612, "We can't send SMS to this number."),
        (21614, "This number can't receive text messages. Use a mobile number."),
    ],
)
def test_twilio_refusals_fail_at_once_with_a_human_message(make_app, twilio, code, message):
    twilio.fail_with(400, code)
    app = make_app(**twilio.config())
    person = ask_for_code(app)
    assert outbox_rows(app) == [("failed", 1, f"twilio {code}")]
    assert explain(f"twilio {code}") == message
    person.open_code_page()
    assert message in visible_text(person.page)


def test_an_unknown_twilio_error_is_retried_logged_with_its_code_and_explained_plainly(
    make_app, twilio, caplog
):
    twilio.fail_with(500, 20500)
    app = make_app(**twilio.config())
    with caplog.at_level(logging.WARNING):
        ask_for_code(app)
    assert outbox_rows(app) == [("pending", 1, "twilio 20500")]
    assert "Twilio code 20500" in caplog.text
    assert PHONE not in caplog.text
    assert explain("twilio 20500") == (
        "We couldn't send the SMS. Try again in a moment, or sign in another way."
    )


def test_twilio_with_wrong_credentials_fails_without_retrying(make_app, twilio, caplog):
    app = make_app(**twilio.config(TWILIO_AUTH_TOKEN="wrong"))
    with caplog.at_level(logging.WARNING):
        ask_for_code(app)
    assert outbox_rows(app) == [("failed", 1, "twilio 20003")]
    assert "HTTP 401, Twilio code 20003" in caplog.text
    assert "wrong" not in caplog.text


def test_a_twilio_api_that_hangs_times_out(make_app, twilio):
    twilio.delay = 1.0
    app = make_app(**twilio.config(SMS_TIMEOUT=0.2))
    ask_for_code(app)
    [(status, tries, error)] = outbox_rows(app)
    assert (status, tries) == ("pending", 1)
    assert error.startswith("twilio ") and "Timeout" in error


# --- Gateway ------------------------------------------------------------------------


def verify_token(header: str, **expected) -> dict:
    scheme, _, token = header.partition(" ")
    assert scheme == "Bearer"
    decoded = jwt.decode(token, OctKey.import_key(SECRET), algorithms=["HS256"])
    JWTClaimsRegistry(
        exp={"essential": True}, **{k: {"essential": True, "value": v} for k, v in expected.items()}
    ).validate(decoded.claims)
    return decoded.claims


def test_the_gateway_gets_auth0s_body_and_a_verifiable_jwt(make_app, gateway):
    app = make_app(
        **gateway.config(
            SMS_GATEWAY_SECRET=SECRET,
            SMS_GATEWAY_SUBJECT="latchkey",
            SMS_GATEWAY_AUDIENCE="https://sms.example",
            SMS_FROM="Latchkey",
        )
    )
    ask_for_code(app)
    [request] = gateway.received
    assert request.path == "/sms"
    assert set(request.body) == {"recipient", "body", "sender"}
    assert request.body["recipient"] == PHONE
    assert request.body["sender"] == "Latchkey"
    assert request.body["body"].rstrip().endswith(f"@latchkey.test #{request.code}")
    claims = verify_token(
        request.headers["Authorization"], sub="latchkey", aud="https://sms.example"
    )
    assert 0 < claims["exp"] - claims["iat"] <= 60
    assert outbox_rows(app) == [("sent", 1, None)]


def test_a_token_signed_with_another_secret_does_not_verify(make_app, gateway):
    app = make_app(**gateway.config(SMS_GATEWAY_SECRET="x" * 40))
    ask_for_code(app)
    with pytest.raises(JoseError):
        verify_token(gateway.received[0].headers["Authorization"])


def test_no_jwt_without_a_secret_and_request_info_when_forwarding(make_app, gateway):
    app = make_app(**gateway.config(SMS_GATEWAY_FORWARD_REQUEST_INFO=True))
    ask_for_code(app, user_agent="Pixel Browser/9")
    [request] = gateway.received
    assert "Authorization" not in request.headers
    assert request.body["req"] == {"ip": "127.0.0.1", "user-agent": "Pixel Browser/9"}


@pytest.mark.parametrize(("status", "retried"), [(500, True), (503, True), (400, False)])
def test_a_non_2xx_answer_is_a_failure(make_app, gateway, status, retried):
    gateway.answer_with(status)
    app = make_app(**gateway.config())
    ask_for_code(app)
    expected = "pending" if retried else "failed"
    assert outbox_rows(app) == [(expected, 1, f"gateway HTTP {status}")]
    assert events_of(app, "delivery.retry" if retried else "delivery.failed")


def test_a_gateway_that_hangs_times_out(make_app, gateway):
    gateway.delay = 1.0
    app = make_app(**gateway.config(SMS_TIMEOUT=0.2))
    ask_for_code(app)
    assert outbox_rows(app) == [("pending", 1, "gateway timeout")]


def test_an_unreachable_gateway_is_retried(make_app):
    with SmsGateway() as gone:
        url = gone.url
    app = make_app(SMS_PROVIDER="gateway", SMS_GATEWAY_URL=f"{url}/sms")
    ask_for_code(app)
    assert outbox_rows(app) == [("pending", 1, "gateway ConnectionError")]


# --- dev ----------------------------------------------------------------------------


def test_the_dev_provider_keeps_the_sms_in_the_dev_outbox(app):
    ask_for_code(app)
    assert outbox_rows(app) == [("sent", 1, None)]
    page = app.test_client().get("/dev/outbox").get_data(as_text=True)
    assert PHONE in page and "is your Example App code" in page
