"""The Management API (a subset of Auth0's /api/v2): users and their identities.

Thin: every route checks the caller's access token and scope (`requires`), reads the
request, calls one function of app.accounts.management and answers in Auth0's shapes.
Clients, connections and logs are in management_settings.py.

Every route counts in one Flask-Limiter limit, `MANAGEMENT_RATE_LIMIT`, per management
client (all its tokens together; per IP address for a request without a valid token),
and answers with Auth0's X-RateLimit-Limit, -Remaining and -Reset headers; over the
limit, a 429 in Auth0's shape with Retry-After.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, current_app, g, jsonify, request
from flask_limiter.util import get_remote_address

from app import limits
from app.accounts import events
from app.accounts import management as rules
from app.accounts.management import identities, users
from app.oidc import management as tokens

from ..extensions import csrf, db
from .errors import management_error

bp = Blueprint("management", __name__, url_prefix="/api/v2")
csrf.exempt(bp)


@bp.errorhandler(rules.ApiError)
def api_error(error: rules.ApiError):
    response = management_error(error.status, error.message, error.error_code)
    if error.status == 401:
        response[0].headers["WWW-Authenticate"] = 'Bearer realm="management"'
    return response


TOO_MANY_REQUESTS = (
    "Too many requests. Check the X-RateLimit-Limit, X-RateLimit-Remaining and "
    "X-RateLimit-Reset headers."
)


@bp.errorhandler(429)
def rate_limited(error):
    """Over MANAGEMENT_RATE_LIMIT: Auth0's 429, with Retry-After (seconds)."""
    g.no_store = True
    caller = g.get("management_caller")
    events.record(
        "throttle.management",
        client_id=caller.client_id if caller else None,
        ip=request.remote_addr,
        path=request.path[:100],
    )
    db.session.commit()
    response, status = management_error(429, TOO_MANY_REQUESTS, "too_many_requests")
    response.headers["Retry-After"] = str(max(1, math.ceil(limits.seconds_to_reset(1))))
    return response, status


@bp.after_request
def rate_limit_headers(response):
    """Auth0's rate-limit headers on every answer that counted (Reset: UNIX time);
    with FLASK_RATELIMIT_HEADERS_ENABLED, Flask-Limiter writes them itself."""
    current = limits.current().requests.current_limit
    if current is not None and not current_app.config.get("RATELIMIT_HEADERS_ENABLED"):
        response.headers["X-RateLimit-Limit"] = str(current.limit.amount)
        response.headers["X-RateLimit-Remaining"] = str(current.remaining)
        response.headers["X-RateLimit-Reset"] = str(int(current.reset_at))
    return response


def _caller() -> tokens.Caller:
    """The management client whose token this request carries (checked once per
    request), or a 401."""
    caller = g.get("management_caller")
    if caller is not None:
        return caller
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if not header:
        raise rules.ApiError(401, "Missing authentication", "missing_authentication")
    caller = tokens.caller_of(token.strip()) if scheme.lower() == "bearer" else None
    if caller is None:
        raise rules.ApiError(401, "Invalid token", "invalid_token")
    g.management_caller = caller
    return caller


def _rate_limit_key() -> str:
    """Whose calls count together: a management client's, whichever of its tokens it
    sends; without a valid token, the IP address's."""
    try:
        return f"m2m:{_caller().client_id}"
    except rules.ApiError:
        return f"ip:{get_remote_address()}"


def requires(scope: str) -> Callable:
    """The view needs a management access token that holds `scope`; it gets the caller."""

    def decorate(view: Callable) -> Callable:
        @limits.per_request("MANAGEMENT_RATE_LIMIT", key_func=_rate_limit_key, shared="management")
        @wraps(view)
        def checked(*args: Any, **kwargs: Any):
            g.no_store = True
            caller = _caller()
            if scope not in caller.scopes:
                raise rules.ApiError(
                    403, f"Insufficient scope, expected any of: {scope}", "insufficient_scope"
                )
            return view(caller, *args, **kwargs)

        return checked

    return decorate


def body() -> Any:
    """The JSON body, or None when there is none, it is not JSON, or it nests past
    Python's recursion limit (json raises RecursionError for "[[[[…")."""
    try:
        return request.get_json(silent=True, force=True)
    except RecursionError:
        return None


@bp.get("/users")
@requires("read:users")
def list_users(caller: tokens.Caller):
    return jsonify(users.list_users(request.args))


@bp.get("/users-by-email")
@requires("read:users")
def users_by_email(caller: tokens.Caller):
    return jsonify(users.users_by_email(request.args))


@bp.get("/users/<user_id>")
@requires("read:users")
def get_user(caller: tokens.Caller, user_id: str):
    return jsonify(users.get_user(user_id, request.args))


@bp.patch("/users/<user_id>")
@requires("update:users")
def update_user(caller: tokens.Caller, user_id: str):
    return jsonify(users.update_user(user_id, body(), by=caller.actor))


@bp.delete("/users/<user_id>")
@requires("delete:users")
def delete_user(caller: tokens.Caller, user_id: str):
    users.delete_user(user_id, by=caller.actor)
    return "", 204


@bp.post("/users/<user_id>/identities")
@requires("update:users")
def link_identity(caller: tokens.Caller, user_id: str):
    return jsonify(identities.link(user_id, body(), by=caller.actor)), 201


@bp.delete("/users/<user_id>/identities/<provider>/<identity_id>")
@requires("update:users")
def unlink_identity(caller: tokens.Caller, user_id: str, provider: str, identity_id: str):
    return jsonify(identities.unlink(user_id, provider, identity_id, by=caller.actor))
