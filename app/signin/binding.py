"""The browser binding: a random cookie value whose hash is stored on each ticket."""

from __future__ import annotations

import hmac
import secrets

from app.models import sha256_hex


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
