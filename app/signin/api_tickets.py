"""Auth0's passwordless API: start a sign-in for an app (`POST /passwordless/start`)
and check the code it sends back (the passwordless OTP grant at /oauth/token).

An API ticket is bound to the app that started it, never to a browser: its
binding is a keyed hash of the app's client_id (`app_binding`), a value no browser
holds, so the hosted pages never take it, and only a token request from the same
app can spend its code. Everything else
is the hosted page's rules, through app/signin/tickets.py: per-address limits,
the SMS fraud defences, the tries cap, and the same answer whether or not an
account exists.

Errors carry Auth0's codes (`bad.email`, `too_many_requests`, …), so Auth0's
SDKs report them as they report Auth0's own. These functions take plain values;
they never touch the request.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import select

from app.accounts.clients import find_client
from app.extensions import db
from app.models import Client, LoginTicket, sha256_hex
from app.signin import binding, magic_links, phones, sms_guard, throttle, tickets
from app.signin.addresses import InvalidAddress, normalize_email

CONNECTIONS = ("email", "sms")
SENDS = ("code", "link")
START_FIELDS = frozenset(
    {"client_id", "client_secret", "connection", "email", "phone_number", "send", "authParams"}
)
# authParams carried into a link's sign-in (the authorize request it completes), with
# the longest value each may have; other names are ignored, as Auth0 passes them on.
AUTH_PARAM_LIMITS = {
    "scope": 1000,
    "state": 2000,
    "nonce": 512,
    "redirect_uri": 2000,
    "response_type": 100,
    "response_mode": 100,
    "code_challenge": 2000,
    "code_challenge_method": 100,
    "ui_locales": 100,
    "prompt": 100,
    "max_age": 100,
    "audience": 2000,
}
KEPT_AUTH_PARAMS = tuple(name for name in AUTH_PARAM_LIMITS if name != "audience")


class ApiError(Exception):
    """A refused API call: Auth0's error code, a description, the HTTP status."""

    def __init__(self, error: str, description: str, status: int = 400, retry_after: int = 0):
        super().__init__(error, description)
        self.error = error
        self.description = description
        self.status = status
        self.retry_after = retry_after


@dataclass(frozen=True)
class StartRequest:
    """A checked `/passwordless/start` call: the app, where to send, what to send."""

    client: Client
    connection: str
    recipient: str  # normalized: lower-cased email or E.164
    send: str  # code | link
    authorize_params: dict[str, str]


def read_start(
    body: Mapping[str, Any],
    authorize_problem: Callable[[dict[str, str]], str | None],
    hosted: bool = False,
) -> StartRequest:
    """Check a start request's fields in Auth0's order; raise ApiError with its codes.
    A link must complete a valid authorize request: `authorize_problem(params)` (the
    OIDC server's check, app.oidc.stored_request_problem) says why not, or None.
    `hosted`: Latchkey's own hosted page calls for the authorize request it was shown
    for (signed by this server), so a confidential app's secret is not asked."""
    unknown = sorted(str(name)[:40] for name in body if name not in START_FIELDS)
    if unknown:
        allowed = "The following properties are not allowed: "
        raise ApiError("bad.request", allowed + ", ".join(unknown))
    client = _authenticated_client(body, hosted)
    connection = body.get("connection")
    if not connection:
        raise ApiError("bad.connection", "Missing required property: connection")
    if connection not in CONNECTIONS:
        raise ApiError("bad.connection", "Connection does not exist")
    if connection not in client.enabled_connections:
        raise ApiError("bad.connection", "Connection is disabled for this app")
    send = body.get("send") or ("link" if connection == "email" else "code")
    if send not in SENDS or (connection == "sms" and send != "code"):
        raise ApiError("bad.request", "send must be 'code' (sms) or 'code' or 'link' (email)")
    recipient = _recipient(connection, body, current_app.config["SMS_MOBILE_ONLY"])
    params = _authorize_params(client, body.get("authParams"))
    problem = authorize_problem(params) if send == "link" else None
    if problem:
        raise ApiError("bad.authParams", problem)
    return StartRequest(client, connection, recipient, send, params)


def _authenticated_client(body: Mapping[str, Any], hosted: bool = False) -> Client:
    """The app named by client_id; a confidential app must prove it with its secret
    (unless the hosted page calls), a public one (spa, native) has none and must not
    send one."""
    client_id = body.get("client_id")
    if not client_id:
        raise ApiError("bad.client_id", "Missing required property: client_id")
    client = find_client(client_id) if isinstance(client_id, str) and len(client_id) <= 64 else None
    if client is None:
        raise ApiError("bad.client_id", "Unknown client_id")
    if client.is_management:
        raise ApiError("unauthorized", "A management (m2m) client cannot sign people in", 401)
    secret = body.get("client_secret")
    if client.is_public:
        if secret is not None:
            raise ApiError(
                "unauthorized", "A public app (spa, native) has no client_secret to send", 401
            )
    elif hosted and secret is None:
        return client
    elif not (isinstance(secret, str) and client.check_secret(secret)):
        raise ApiError("unauthorized", "Invalid client credentials", 401)
    return client


def _recipient(connection: str, body: Mapping[str, Any], mobile_only: bool) -> str:
    if connection == "email":
        value = body.get("email")
        if not isinstance(value, str):
            raise ApiError("bad.email", "Missing required property: email")
        try:
            return normalize_email(value)
        except InvalidAddress as invalid:
            raise ApiError("bad.email", str(invalid)) from None
    value = body.get("phone_number")
    if not isinstance(value, str) or not value.strip():
        raise ApiError("bad.phone_number", "Missing required property: phone_number")
    if not value.strip().startswith("+"):
        raise ApiError("bad.phone_number", "Send the number in E.164 form: +, country code, number")
    try:
        return phones.parse_phone(value[:64], None, mobile_only=mobile_only).e164
    except phones.InvalidPhone as invalid:
        raise ApiError("bad.phone_number", str(invalid)) from None


def _authorize_params(client: Client, auth_params: Any) -> dict[str, str]:
    """The authorize request a link completes: the app's first callback, `code`, and
    `openid` unless authParams says otherwise (the protocol layer checks the rest)."""
    if auth_params is None:
        auth_params = {}
    if not isinstance(auth_params, Mapping):
        raise ApiError("bad.authParams", "authParams must be an object")
    for name, value in auth_params.items():
        if name in AUTH_PARAM_LIMITS and not isinstance(value, str):
            raise ApiError("bad.authParams", f"authParams.{name} must be a string")
        if name in AUTH_PARAM_LIMITS and len(value) > AUTH_PARAM_LIMITS[name]:
            raise ApiError("bad.authParams", f"authParams.{name} is too long")
    params = {
        "client_id": client.client_id,
        "response_type": "code",
        "scope": "openid",
        "redirect_uri": (client.redirect_uris or [""])[0],
    }
    params.update({k: auth_params[k] for k in KEPT_AUTH_PARAMS if k in auth_params})
    return params


def start(
    request: StartRequest,
    requester: tickets.Requester,
    language: str,
    browser_binding: str | None = None,
) -> LoginTicket:
    """Open an API ticket and queue its message; raise ApiError when it may not go.
    With `browser_binding` (auth0.js on the hosted page) the ticket is that browser's,
    as the hosted page's own are: its links follow the same-browser rules."""
    bound_to = browser_binding or binding.app_binding(request.client)
    try:
        return tickets.open_ticket(
            request.connection,
            request.recipient,
            client=request.client,
            authorize_params=request.authorize_params,
            binding_hash=binding.hash_of(bound_to),
            requester=requester,
            language=language,
            send=request.send,
        )
    except throttle.Throttled as throttled:
        raise ApiError(
            "too_many_requests",
            "Too many requests. Please wait and try again.",
            429,
            throttled.retry_after,
        ) from None
    except sms_guard.TooManyMessages as refused:
        wait = refused.retry_after_seconds
        raise ApiError("too_many_requests", str(refused), 429, wait) from None
    except sms_guard.CountryNotAllowed as refused:
        raise ApiError("bad.phone_number", str(refused)) from None
    except sms_guard.SmsRefused as refused:
        raise ApiError("sms_provider_error", str(refused)) from None
    except tickets.SignupDisabled:
        raise ApiError("bad.request", "Sign-up is disabled: use an existing account") from None
    except tickets.ConnectionOff:
        raise ApiError("bad.connection", "Connection is disabled for this app") from None


def start_answer(ticket: LoginTicket, request_language: str | None) -> dict[str, Any]:
    """Auth0's answer to a start: the same for known, unknown and refused recipients."""
    request_id = sha256_hex("api-start:" + ticket.id)[:24]
    if ticket.connection == "email":
        return {"_id": request_id, "email": ticket.recipient, "email_verified": False}
    return {
        "_id": request_id,
        "phone_number": ticket.recipient,
        "phone_verified": False,
        "request_language": request_language,
    }


# --- A link an app asked for -------------------------------------------------------------


def is_api_ticket(ticket: LoginTicket) -> bool:
    """Whether an app (not a browser) started this ticket."""
    client = ticket.client
    return client is not None and binding.matches(binding.app_binding(client), ticket.binding_hash)


def link_sign_in(token: str, requester: tickets.Requester) -> tickets.SignIn:
    """Sign in with a link an app asked for, in whatever browser opens it, once the
    person pressed "Continue" (a POST; opening the link changes nothing). Raises
    OtherBrowser for a link a browser asked for (that has its own steps)."""
    opened = magic_links.open_link(token, None)
    if not is_api_ticket(opened.ticket):
        raise tickets.OtherBrowser()
    return tickets.consume(opened.ticket, requester, amr=list(magic_links.LINK_AMR))


# --- The OTP grant ---------------------------------------------------------------------

WRONG_OTP = {
    "email": "Wrong email or verification code.",
    "sms": "Wrong phone number or verification code.",
}
EXPIRED_OTP = "The verification code has expired. Please try to login again."
OTP_ATTEMPTS = "You have reached the maximum number of attempts. Please try to login again."


class NoApiTicket(tickets.LoginError):
    """No live code was sent to this address for this app (told like a wrong code)."""

    reason = "wrong_code"


def verify_otp(
    client: Client,
    realm: str,
    username: str,
    otp: str,
    requester: tickets.Requester,
    browser_binding: str | None = None,
) -> tickets.SignIn:
    """Check a code typed into an app: the newest API ticket this app opened for this
    address (or, with `browser_binding`, the newest that browser opened through
    auth0.js on the hosted page). Raises the tickets' LoginErrors (WrongCode,
    TicketExpired, …), NoApiTicket, or throttle.Throttled."""
    bound_to = browser_binding or binding.app_binding(client)
    recipient = _username(realm, username) if realm in CONNECTIONS else None
    ticket = None
    if recipient is not None:
        ticket = db.session.scalars(
            select(LoginTicket)
            .where(
                LoginTicket.connection == realm,
                LoginTicket.recipient == recipient,
                LoginTicket.client_pk == client.id,
                LoginTicket.binding_hash == binding.hash_of(bound_to),
            )
            .order_by(LoginTicket.created_at.desc())
            .limit(1)
        ).first()
    if ticket is None:
        raise NoApiTicket()
    return tickets.verify_code(ticket.id, otp, bound_to, requester)


def _username(realm: str, username: str) -> str | None:
    try:
        if realm == "email":
            return normalize_email(username)
        mobile_only = current_app.config["SMS_MOBILE_ONLY"]
        return phones.parse_phone(username[:64], None, mobile_only=mobile_only).e164
    except (InvalidAddress, phones.InvalidPhone):
        return None


def otp_refusal(failure: tickets.LoginError, realm: str) -> ApiError:
    """A refused code in Auth0's words (403, as Auth0 answers a wrong code)."""
    if isinstance(failure, tickets.TicketExpired):
        return ApiError("invalid_grant", EXPIRED_OTP, 403)
    if isinstance(failure, tickets.TooManyAttempts):
        return ApiError("invalid_grant", OTP_ATTEMPTS, 403)
    if isinstance(failure, tickets.SignInRefused):
        return ApiError("unauthorized", "user is blocked", 403)
    # wrong, used, or no code for this app
    return ApiError("invalid_grant", WRONG_OTP.get(realm, WRONG_OTP["email"]), 403)
