"""Secrets at rest: text sealed with cryptography's MultiFernet under keys from the environment.

`FLASK_KEY_ENCRYPTION_KEYS` holds one or more Fernet keys, comma-separated (or a JSON
list), newest first: the first seals, every one unseals, so a key is rotated by
putting a new one in front and running `flask keys reencrypt` before the old one is
dropped. In debug and testing, without the setting, one key is derived from
SECRET_KEY; outside them start-up refuses to run without it (app/config.py).
"""

from __future__ import annotations

import base64
import hashlib
import json

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app

SETTING = "KEY_ENCRYPTION_KEYS"
EXTENSION_KEY = "latchkey_at_rest"


class SealError(RuntimeError):
    """A sealed value could not be opened with any configured key (wrong or missing key)."""


def parse_keys(value: object) -> list[str]:
    """The configured keys as a list of strings (comma-separated text or a JSON list)."""
    if value is None or value == "":
        return []
    if isinstance(value, list | tuple):
        return [str(item).strip() for item in value if str(item).strip()]
    text = str(value).strip()
    if text.startswith("["):
        try:
            return parse_keys(json.loads(text))
        except ValueError:
            pass
    return [part.strip() for part in text.split(",") if part.strip()]


def derived_key(secret_key: str) -> str:
    """A Fernet key derived from SECRET_KEY (debug and testing only)."""
    digest = hashlib.sha256(b"latchkey key encryption\0" + str(secret_key).encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()


def build(keys: list[str]) -> MultiFernet:
    """A MultiFernet of the keys; ValueError names the position of a malformed one."""
    fernets = []
    for position, key in enumerate(keys, start=1):
        try:
            fernets.append(Fernet(key))
        except (ValueError, TypeError):
            raise ValueError(f"key {position} is not a Fernet key") from None
    if not fernets:
        raise ValueError("no key")
    return MultiFernet(fernets)


def _fernet() -> MultiFernet:
    cached = current_app.extensions.get(EXTENSION_KEY)
    if cached is None:
        cached = build(current_app.config[SETTING])
        current_app.extensions[EXTENSION_KEY] = cached
    return cached


def seal(text: str) -> str:
    """Encrypt text under the newest key (a Fernet token, ASCII)."""
    return _fernet().encrypt(text.encode()).decode()


def unseal(token: str) -> str:
    """Decrypt a sealed value with whichever configured key sealed it; SealError if none."""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise SealError("sealed with a key that is not in FLASK_KEY_ENCRYPTION_KEYS") from None


def reseal(token: str) -> str:
    """The same value sealed under the newest key (for rotation); SealError if unreadable."""
    try:
        return _fernet().rotate(token.encode()).decode()
    except InvalidToken:
        raise SealError("sealed with a key that is not in FLASK_KEY_ENCRYPTION_KEYS") from None


def is_sealed(value: str | None) -> bool:
    """True for a Fernet token (version byte 0x80 → 'gAAAAA' in base64), not a PEM."""
    return bool(value) and value.startswith("gAAAAA")
