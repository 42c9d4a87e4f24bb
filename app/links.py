"""Signed tokens (itsdangerous), one serializer and salt per purpose."""

from __future__ import annotations

from typing import Any

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

AUTHORIZE_REQUEST_SALT = "latchkey.authorize-request"


class ExpiredToken(ValueError):
    """Signed by us, but too old."""


class BadToken(ValueError):
    """Not signed by us, or changed."""


def _serializer(salt: str) -> URLSafeTimedSerializer:
    secret = current_app.config["SECRET_KEY"]
    fallbacks = current_app.config.get("SECRET_KEY_FALLBACKS") or []
    return URLSafeTimedSerializer([*fallbacks, secret], salt=salt)


def sign_authorize_request(params: dict[str, Any]) -> str:
    """Carry a validated authorize request through the login form, tamper-proof."""
    return _serializer(AUTHORIZE_REQUEST_SALT).dumps(params)


def load_authorize_request(token: str | None) -> dict[str, Any]:
    max_age = current_app.config["AUTHORIZE_REQUEST_MAX_AGE"]
    try:
        data = _serializer(AUTHORIZE_REQUEST_SALT).loads(token or "", max_age=max_age)
    except SignatureExpired:
        raise ExpiredToken() from None
    except BadSignature:
        raise BadToken() from None
    if not isinstance(data, dict):
        raise BadToken()
    return data
