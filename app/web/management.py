"""The Management API (a subset of Auth0's /api/v2): users and their identities.

Thin: every route checks the caller's access token and scope (`requires`), reads the
request, calls one function of app.accounts.management and answers in Auth0's shapes.
Clients, connections and logs are in management_settings.py.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, g, jsonify, request

from app.accounts import management as rules
from app.accounts.management import identities, users
from app.oidc import management as tokens

from ..extensions import csrf
from .errors import management_error

bp = Blueprint("management", __name__, url_prefix="/api/v2")
csrf.exempt(bp)


@bp.errorhandler(rules.ApiError)
def api_error(error: rules.ApiError):
    response = management_error(error.status, error.message, error.error_code)
    if error.status == 401:
        response[0].headers["WWW-Authenticate"] = 'Bearer realm="management"'
    return response


def _caller() -> tokens.Caller:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if not header:
        raise rules.ApiError(401, "Missing authentication", "missing_authentication")
    caller = tokens.caller_of(token.strip()) if scheme.lower() == "bearer" else None
    if caller is None:
        raise rules.ApiError(401, "Invalid token", "invalid_token")
    return caller


def requires(scope: str) -> Callable:
    """The view needs a management access token that holds `scope`; it gets the caller."""

    def decorate(view: Callable) -> Callable:
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
    return jsonify(users.users_by_email(request.args.get("email")))


@bp.get("/users/<user_id>")
@requires("read:users")
def get_user(caller: tokens.Caller, user_id: str):
    return jsonify(users.user_json(users.find_user(user_id)))


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
