"""One-time codes: drawn from the OS's CSPRNG, stored only as a keyed hash."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from flask import current_app


def generate_code(length: int) -> str:
    """A numeric one-time code from the OS's CSPRNG."""
    return "".join(secrets.choice("0123456789") for _ in range(length))


def _code_key() -> bytes:
    secret = current_app.config["SECRET_KEY"]
    if isinstance(secret, str):
        secret = secret.encode()
    return hmac.new(secret, b"latchkey.login-code", hashlib.sha256).digest()


def hash_code(ticket_id: str, code: str) -> str:
    """Keyed hash of a code, bound to its ticket."""
    return hmac.new(_code_key(), f"{ticket_id}:{code}".encode(), hashlib.sha256).hexdigest()


def normalize_code(code: str) -> str:
    """Accept what people paste: spaces, dashes and dots around the digits."""
    return "".join(ch for ch in (code or "")[:64] if ch not in " -.\t")
