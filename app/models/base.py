"""Shared by the models: names of things, times, hashes and random ids."""

from __future__ import annotations

import hashlib
import secrets
import string
from datetime import UTC, datetime

CLIENT_TYPES = ("regular", "spa", "native", "m2m")
# What a management (m2m) client may be granted, as Auth0's Management API names them.
MANAGEMENT_SCOPES = (
    "read:users",
    "update:users",
    "delete:users",
    "read:clients",
    "update:clients",
    "read:connections",
    "update:connections",
    "read:logs",
)
CONNECTIONS = ("email", "sms")
SEND_MODES = ("code", "link", "both")
DEFAULT_DAILY_BUDGET = 500


def utcnow() -> datetime:
    """Naive UTC now; every stored time is naive UTC."""
    return datetime.now(UTC).replace(tzinfo=None)


def sha256_hex(value: str) -> str:
    """Hash of a high-entropy secret (client secrets, tokens, cookies)."""
    return hashlib.sha256(value.encode()).hexdigest()


ID_ALPHABET = string.ascii_letters + string.digits


def random_id(length: int = 24) -> str:
    """A random identifier of letters and digits (24 give ~143 bits); never starts with '-',
    so it is safe as a command-line argument and in URLs."""
    return "".join(secrets.choice(ID_ALPHABET) for _ in range(length))
