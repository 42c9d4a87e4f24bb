"""SMS providers: Twilio (its SDK, imported when it sends: twilio_sms.py), your own HTTP
gateway (Auth0's contract) and dev.

Each raises DeliveryError with a short `reason` that is safe to log; `explain()`
turns a stored reason into what the person waiting for the code should read.
"""

from __future__ import annotations

import time

from flask import current_app
from flask_babel import lazy_gettext as _l
from joserfc import jwt
from joserfc.jwk import OctKey

from ..extensions import db
from ..models import LoginTicket, OutboxMessage
from .providers import DeliveryError, Provider

GATEWAY_TOKEN_LIFETIME = 60  # seconds: a short expiry, as Auth0's contract asks
UNKNOWN_FAILURE = _l("We couldn't send the SMS. Try again in a moment, or sign in another way.")

# Twilio error codes (https://www.twilio.com/docs/api/errors) → (message, retryable).
TWILIO_ERRORS: dict[int, tuple[str, bool]] = {
    21211: (_l("This phone number is not valid."), False),
    21214: (_l("This phone number can't receive text messages."), False),
    21408: (_l("We can't send SMS to this country."), False),
    21610: (_l("This number has opted out of our messages. Reply START to opt back in."), False),
    21612: (_l("We can't send SMS to this number."), False),
    21614: (_l("This number can't receive text messages. Use a mobile number."), False),
    21617: (_l("The message is too long to send."), False),
    21635: (_l("This number can't receive text messages. Use a mobile number."), False),
    30003: (_l("This phone is unreachable. Check that it is on and has signal."), True),
    30005: (_l("This phone number doesn't exist or is no longer in service."), False),
    30006: (_l("This number can't receive text messages. Use a mobile number."), False),
    30007: (_l("The carrier blocked the message. Try again later."), True),
}


def explain(reason: str | None) -> str:
    """What to tell the person when an SMS could not be sent, from a DeliveryError reason."""
    if reason and reason.startswith("twilio "):
        code = reason.removeprefix("twilio ").split(" ", 1)[0]
        if code.isdigit() and int(code) in TWILIO_ERRORS:
            return str(TWILIO_ERRORS[int(code)][0])
    return str(UNKNOWN_FAILURE)


def _timeout() -> float:
    return float(current_app.config["SMS_TIMEOUT"])


class TwilioSmsProvider(Provider):
    """Sends through Twilio's Messages API with the twilio SDK."""

    channel = "sms"
    name = "twilio"

    def send(self, message: OutboxMessage) -> str | None:
        from . import twilio_sms  # the SDK, imported when a Twilio provider sends

        config = current_app.config
        client = twilio_sms.client(config, _timeout())
        origin = {"from_": message.sender or config.get("SMS_FROM")}
        if config.get("TWILIO_MESSAGING_SERVICE_SID"):
            origin = {"messaging_service_sid": config["TWILIO_MESSAGING_SERVICE_SID"]}
        try:
            created = client.messages.create(to=message.recipient, body=message.body_text, **origin)
        except twilio_sms.Refused as exc:
            known = TWILIO_ERRORS.get(exc.code or 0)
            retryable = known[1] if known else (exc.status >= 500 or exc.status == 429)
            if known is None:
                current_app.logger.warning(
                    "Twilio refused an SMS: HTTP %s, Twilio code %s", exc.status, exc.code
                )
            raise DeliveryError(f"twilio {exc.code or exc.status}", retryable=retryable) from exc
        except twilio_sms.UNREACHABLE as exc:
            raise DeliveryError(f"twilio {type(exc).__name__}") from exc
        return created.sid


class GatewaySmsProvider(Provider):
    """POSTs to your own gateway like Auth0's custom SMS gateway: JSON
    {recipient, body, sender[, req]} with an optional HS256 Bearer JWT."""

    channel = "sms"
    name = "gateway"

    def send(self, message: OutboxMessage) -> str | None:
        import requests  # imported when a gateway provider sends

        config = current_app.config
        payload: dict[str, object] = {
            "recipient": message.recipient,
            "body": message.body_text,
            "sender": message.sender or config.get("SMS_FROM") or "",
        }
        if config["SMS_GATEWAY_FORWARD_REQUEST_INFO"]:
            payload["req"] = _request_info(message)
        headers = {}
        if config.get("SMS_GATEWAY_SECRET"):
            headers["Authorization"] = f"Bearer {gateway_token()}"
        try:
            response = requests.post(
                config["SMS_GATEWAY_URL"],
                json=payload,
                headers=headers,
                timeout=_timeout(),
                allow_redirects=False,
            )
        except requests.Timeout as exc:
            raise DeliveryError("gateway timeout") from exc
        except requests.RequestException as exc:
            raise DeliveryError(f"gateway {type(exc).__name__}") from exc
        with response:
            if not 200 <= response.status_code < 300:
                retryable = response.status_code >= 500 or response.status_code == 429
                raise DeliveryError(f"gateway HTTP {response.status_code}", retryable=retryable)
        return None


def gateway_token(now: float | None = None) -> str:
    """The gateway's Bearer JWT: HS256 with the configured subject and audience."""
    config = current_app.config
    issued = int(now if now is not None else time.time())
    claims = {"iat": issued, "exp": issued + GATEWAY_TOKEN_LIFETIME}
    if config.get("SMS_GATEWAY_SUBJECT"):
        claims["sub"] = config["SMS_GATEWAY_SUBJECT"]
    if config.get("SMS_GATEWAY_AUDIENCE"):
        claims["aud"] = config["SMS_GATEWAY_AUDIENCE"]
    key = OctKey.import_key(config["SMS_GATEWAY_SECRET"])
    return jwt.encode({"alg": "HS256", "typ": "JWT"}, claims, key)


def _request_info(message: OutboxMessage) -> dict[str, str]:
    """The IP and user agent of the person who asked for the code, from its ticket."""
    ticket = db.session.get(LoginTicket, message.ticket_id) if message.ticket_id else None
    return {
        "ip": (ticket.ip if ticket else None) or "",
        "user-agent": (ticket.user_agent if ticket else None) or "",
    }


class DevSmsProvider(Provider):
    """Delivers by doing nothing: the outbox row is what /dev/outbox shows."""

    channel = "sms"
    name = "dev"

    def send(self, message: OutboxMessage) -> str | None:
        return None


PROVIDERS: dict[str, type[Provider]] = {
    "twilio": TwilioSmsProvider,
    "gateway": GatewaySmsProvider,
    "dev": DevSmsProvider,
}
