"""The endpoints auth0.js calls to finish a passwordless sign-in (its source, 9.x:
authentication/passwordless-authentication.js, web-auth/cross-origin-authentication.js).

Hosted page (Universal Login + a custom UI on auth0.js), same origin only:
    POST /passwordless/verify         check the code; keep the sign-in for this browser
    GET  /passwordless/verify_redirect  finish the authorize request the page was for
Embedded (cross-origin authentication), an app's registered web origins only:
    POST /co/authenticate             check the code; answer {login_ticket, co_verifier,
                                      co_id} and set the co_verifier cookie
    /authorize?login_ticket=…         (app/web/oidc.py) finish, once the browser proves
                                      it holds the co_verifier (cookie, or /co/verify)
    GET/POST /co/verify               the fallback: the app's verification page, framed,
                                      hands the co_verifier back (auth0.js's
                                      crossOriginVerification), then on to /authorize

Thin: the rules are app.signin's (api_tickets, verified, tickets); errors are Auth0's
JSON shapes (`{error, error_description}`), never a 500.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, current_app, g, jsonify, request
from flask_babel import gettext as _
from flask_wtf.csrf import validate_csrf
from wtforms import ValidationError

from app import limits, oidc
from app.accounts.clients import find_client
from app.oidc.json_body import json_object
from app.oidc.params import OTP_GRANT_TYPE
from app.signin import api_tickets, link_tokens, throttle, tickets, verified

from ..extensions import csrf
from . import binding_cookie, sso
from .errors import error_page

bp = Blueprint("auth0_js", __name__)

CO_VERIFIER_COOKIE = "co_verifier"
REALMS = ("email", "sms")


def own_origin() -> str:
    """This server's origin as the browser sees it (scheme://host[:port])."""
    return request.host_url.rstrip("/").lower()


def is_same_origin() -> bool:
    """Whether the browser says this call comes from a page of this server: its Origin,
    or, from the hosted pages (whose Referrer-Policy no-referrer makes a same-origin
    POST say `Origin: null`), `Sec-Fetch-Site: same-origin`; no page can set either."""
    origin = request.headers.get("Origin", "").lower()
    if origin == "null":
        return request.headers.get("Sec-Fetch-Site") == "same-origin"
    return origin == own_origin()


def hosted_authorize_request(body: Mapping[str, Any]) -> dict[str, Any] | None:
    """For a `/passwordless/start` from the hosted page (auth0.js, theme auth0js-custom):
    the authorize request the page was shown for, or None for any other caller.

    The page sends back what the server injected (as Universal Login does): its
    authorize request, signed, as `state`, and a CSRF token as `_csrf`, both in
    authParams; the call must come from this server's own origin. Lock (theme
    lock-classic) sends `_csrf` only with a link (for a code, auth0.js passes on its
    own options: `state`, not `_csrf`): without it, the Origin check is the CSRF
    defence (another site's page cannot send this server's Origin); one sent must
    be valid."""
    auth_params = body.get("authParams")
    if not is_same_origin() or not isinstance(auth_params, Mapping):
        return None
    try:
        if "_csrf" in auth_params:
            validate_csrf(auth_params.get("_csrf"))
        params = link_tokens.load_authorize_request(auth_params.get("state"))
    except (ValidationError, link_tokens.ExpiredToken, link_tokens.BadToken):
        return None
    return params if params.get("client_id") == body.get("client_id") else None


def requester() -> tickets.Requester:
    return tickets.Requester(ip=request.remote_addr, user_agent=request.user_agent.string)


def auth0_error(error: str, description: str, status: int = 400, retry_after: int = 0):
    response = jsonify(error=error, error_description=description)
    response.status_code = status
    if retry_after:
        response.headers["Retry-After"] = str(max(1, int(retry_after)))
    return response


def _json_body() -> dict[str, Any]:
    """auth0.js sends JSON; anything else is bad.request (an oversized body, 413)."""
    if not request.is_json:
        request.get_data(cache=False)  # reading enforces MAX_CONTENT_LENGTH
    sent = json_object(request) if request.is_json else None
    if sent is None:
        raise api_tickets.ApiError("bad.request", "The body must be a JSON object")
    return sent


def _text(body: dict[str, Any], name: str, limit: int = 400) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise api_tickets.ApiError("invalid_request", f"Missing required parameter: {name}")
    if len(value) > limit:
        raise api_tickets.ApiError("invalid_request", f"{name} is too long")
    return value


def _client(body: dict[str, Any]):
    client_id = body.get("client_id")
    client = find_client(client_id) if isinstance(client_id, str) and len(client_id) <= 64 else None
    if client is None:
        raise api_tickets.ApiError("invalid_client", "Unknown client_id", 401)
    return client


def _check_code(body: dict[str, Any], realm: str, username: str, browser: str | None):
    """The code check both steps share: the tickets' rules, Auth0's errors."""
    client = _client(body)
    if realm not in REALMS:
        raise api_tickets.ApiError("invalid_request", "realm must be 'email' or 'sms'")
    otp = _text(body, "otp" if "otp" in body else "verification_code", 64)
    try:
        sign_in = api_tickets.verify_otp(client, realm, username, otp, requester(), browser)
    except throttle.Throttled as throttled:
        message = "Too many attempts. Please wait and try again."
        raise api_tickets.ApiError(
            "too_many_requests", message, 429, throttled.retry_after
        ) from None
    except tickets.LoginError as failure:
        raise api_tickets.otp_refusal(failure, realm) from None
    return client, sign_in


def api_error(error: api_tickets.ApiError):
    """An ApiError as Auth0's JSON answer (with Retry-After when it says when)."""
    return auth0_error(error.error, error.description, error.status, error.retry_after)


# --- Hosted page ------------------------------------------------------------------------


@bp.post("/passwordless/verify")
@csrf.exempt
@limits.per_request("VERIFY_RATE_LIMIT")
def passwordless_verify():
    """auth0.js's passwordlessLogin on the hosted page: check the code for the ticket
    this browser started, and keep the sign-in for its verify_redirect."""
    g.no_store = True
    cookie = binding_cookie.read()
    try:
        body = _json_body()
        if not is_same_origin() or not cookie:
            message = "Only the hosted login page may verify here."
            return auth0_error("access_denied", message, 403)
        realm = _text(body, "connection", 16)
        field = "email" if realm == "email" else "phone_number"
        client, sign_in = _check_code(body, realm, _text(body, field), cookie)
    except api_tickets.ApiError as error:
        return api_error(error)
    verified.keep_for_browser(sign_in, client, cookie)
    return jsonify({})


@bp.get("/passwordless/verify_redirect")
def verify_redirect():
    """The hosted page's next step: finish the authorize request its ticket was for,
    in the browser that verified (the code in the query is not trusted again)."""
    client = find_client(request.args.get("client_id", "")[:64])
    if client is None:
        return error_page(400, _("Unknown app"), _("The app that sent you here is not registered."))
    try:
        sign_in = verified.take_for_browser(client, binding_cookie.read(), requester())
    except verified.NotVerified:
        return error_page(
            400, _("This sign-in has ended"), _("Go back to the app and sign in again.")
        )
    return sso.complete(sign_in, requester())


# --- Embedded: cross-origin authentication ------------------------------------------------


@bp.post("/co/authenticate")
@csrf.exempt
@limits.per_request("VERIFY_RATE_LIMIT")
def co_authenticate():
    """Check a code typed into an app's own page; answer a login ticket for /authorize."""
    g.no_store = True
    origin = request.headers.get("Origin", "")
    try:
        body = _json_body()
        client_id = body.get("client_id") if isinstance(body.get("client_id"), str) else None
        if not origin or not oidc.is_registered_origin(origin, client_id):
            shown = origin[:100] or "(none)"
            return auth0_error("access_denied", f"Origin {shown} is not allowed.", 403)
        if body.get("credential_type") != OTP_GRANT_TYPE:
            message = f"Only credential_type {OTP_GRANT_TYPE} is supported"
            return auth0_error("unsupported_credential_type", message, 400)
        realm = _text(body, "realm", 16)
        client, sign_in = _check_code(body, realm, _text(body, "username"), None)
    except api_tickets.ApiError as error:
        return api_error(error)
    answer = verified.issue_login_ticket(sign_in, client, origin)
    response = jsonify(
        login_ticket=answer.login_ticket, co_verifier=answer.co_verifier, co_id=answer.co_id
    )
    return set_co_verifier(response, answer.co_verifier)


def set_co_verifier(response, value: str):
    """The co_verifier cookie: HttpOnly, as long as a login ticket lives; SameSite=None
    under HTTPS (it is set by a cross-site call and read on a top-level navigation)."""
    secure = current_app.config["SECURE_TRANSPORT"]
    response.set_cookie(
        CO_VERIFIER_COOKIE,
        value,
        max_age=verified.LIFETIME,
        httponly=True,
        secure=secure,
        samesite="None" if secure else "Lax",
        path="/",
    )
    return response


def clear_co_verifier(response):
    secure = current_app.config["SECURE_TRANSPORT"]
    same_site = "None" if secure else "Lax"
    response.delete_cookie(
        CO_VERIFIER_COOKIE, path="/", secure=secure, httponly=True, samesite=same_site
    )
    return response
