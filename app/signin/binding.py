"""The browser binding: a random cookie value whose hash is stored on each ticket."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from flask import current_app

from app.models import Client, sha256_hex


def new_value() -> str:
    """A fresh random cookie value (256 bits)."""
    return secrets.token_urlsafe(32)


def hash_of(value: str | None) -> str:
    """The stored form of a binding cookie; an absent cookie hashes to nothing."""
    return sha256_hex(value) if value else ""


def matches(value: str | None, stored_hash: str) -> bool:
    """Constant-time check that this browser's cookie is the one the ticket was bound to."""
    if not value or not stored_hash:
        return False
    return hmac.compare_digest(hash_of(value), stored_hash)


def app_binding(client: Client) -> str:
    """The binding value of an app's API tickets: keyed with the server's secret, so
    no browser can present it as its binding cookie."""
    secret = current_app.config["SECRET_KEY"]
    key = secret.encode() if isinstance(secret, str) else secret
    message = f"latchkey.api-ticket:{client.client_id}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def is_browser(binding_hash: str | None, client: Client | None) -> bool:
    """Whether a ticket's binding is a browser's cookie, not an app's API binding."""
    if not binding_hash:
        return False
    return client is None or binding_hash != hash_of(app_binding(client))
