"""Signed tokens (itsdangerous), one serializer and salt per purpose."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from app.config import base_url

AUTHORIZE_REQUEST_SALT = "latchkey.authorize-request"
MAGIC_LINK_SALT = "latchkey.magic-link"
MAGIC_LINK_PATH = "/login/link/"


class ExpiredToken(ValueError):
    """Signed by us, but too old."""


class BadToken(ValueError):
    """Not signed by us, or changed."""


@dataclass(frozen=True)
class MagicLink:
    """What a magic link names: a ticket and the link's nonce (stored only hashed)."""

    ticket_id: str
    nonce: str


def _serializer(salt: str) -> URLSafeTimedSerializer:
    secret = current_app.config["SECRET_KEY"]
    fallbacks = current_app.config.get("SECRET_KEY_FALLBACKS") or []
    return _serializer_for(tuple(fallbacks), secret, salt)


@lru_cache(maxsize=32)
def _serializer_for(fallbacks: tuple, secret: str | bytes, salt: str) -> URLSafeTimedSerializer:
    """Built once per keys and salt (building one tries its JSON serializer and derives
    its signers each time); it holds nothing of a request, so threads may share it."""
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


def magic_link_for(ticket_id: str, nonce: str) -> str:
    """The full link for an email: the configured issuer, never the request's Host."""
    token = _serializer(MAGIC_LINK_SALT).dumps({"t": ticket_id, "n": nonce})
    return base_url(current_app.config) + MAGIC_LINK_PATH + token


def load_magic_link(token: str | None, max_age: int | None = None) -> MagicLink:
    """Read a link's token; raises ExpiredToken (signed by us but older than
    `max_age` seconds, the ticket's lifetime) or BadToken (changed or garbled)."""
    try:
        data = _serializer(MAGIC_LINK_SALT).loads((token or "")[:1000], max_age=max_age)
    except SignatureExpired:
        raise ExpiredToken() from None
    except BadSignature:
        raise BadToken() from None
    link = _magic_link(data)
    if link is None:
        raise BadToken()
    return link


def ticket_id_of_link(token: str | None) -> str | None:
    """The ticket a link names, however old the link is; None when not signed by us.

    For keying limits: a link has several spellings (a signature's last character
    carries unused bits), the ticket it names has one."""
    try:
        return load_magic_link(token).ticket_id
    except (BadToken, ExpiredToken):
        return None


def _magic_link(data: Any) -> MagicLink | None:
    if not isinstance(data, dict):
        return None
    ticket_id, nonce = data.get("t"), data.get("n")
    if not (isinstance(ticket_id, str) and isinstance(nonce, str) and ticket_id and nonce):
        return None
    return MagicLink(ticket_id[:64], nonce[:64])
