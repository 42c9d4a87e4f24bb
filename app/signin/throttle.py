"""Abuse limits that are domain rules: starts per recipient and failed codes per
identifier and IP address (with a growing delay); the account-wide cap is in
app/signin/lockout.py.

Counters live in the app's one rate-limit storage (app/limits.py:
`FLASK_RATELIMIT_STORAGE_URI`, memory or Redis), so every process behind a load
balancer sees the same counts. Keys hold hashes, never an
address in the clear.
"""

from __future__ import annotations

import hashlib
import math
import time

from flask import current_app
from limits import parse
from limits.storage import Storage

from app import limits

FAILURE_MEMORY = 24 * 3600  # a quiet day forgets an identifier's failures
MAX_DELAY = 24 * 3600


class Throttled(Exception):
    """Too many tries; come back in `retry_after` seconds."""

    def __init__(self, retry_after: int):
        super().__init__(retry_after)
        self.retry_after = max(1, int(retry_after))


def _storage() -> Storage:
    return limits.current().storage


def _enabled() -> bool:
    return bool(current_app.config.get("RATELIMIT_ENABLED", True))


def _key(kind: str, *parts: str | None) -> str:
    digest = hashlib.sha256("\x00".join(p or "" for p in parts).encode()).hexdigest()[:32]
    return f"{current_app.config['RATELIMIT_KEY_PREFIX']}/{kind}/{digest}"


def count_start(connection: str, recipient: str) -> None:
    """Count a start for a recipient; raise Throttled past RECIPIENT_RATE_LIMIT.

    Known and unknown recipients are counted alike, so the answer reveals nothing."""
    if not _enabled():
        return
    limit = parse(current_app.config["RECIPIENT_RATE_LIMIT"])
    window = limits.current().moving_window
    key = _key("recipient", connection, recipient)
    if not window.hit(limit, key):
        reset_at = window.get_window_stats(limit, key).reset_time
        raise Throttled(math.ceil(reset_at - time.time()))


def check_failures(identifier: str, ip: str | None) -> None:
    """Raise Throttled while this identifier and IP pair sits out its delay."""
    if not _enabled():
        return
    storage = _storage()
    if storage.get(_key("blocked", identifier, ip)):
        expiry = storage.get_expiry(_key("blocked", identifier, ip))
        raise Throttled(math.ceil(expiry - time.time()))


def note_failure(identifier: str, ip: str | None) -> None:
    """Count a wrong code; from FAILED_CODE_LIMIT on, block the pair for a delay that
    doubles with each further failure (capped at a day)."""
    if not _enabled():
        return
    storage = _storage()
    failures = storage.incr(_key("failures", identifier, ip), FAILURE_MEMORY)
    limit = current_app.config["FAILED_CODE_LIMIT"]
    if failures >= limit:
        delay = min(current_app.config["FAILED_CODE_DELAY"] * 2 ** (failures - limit), MAX_DELAY)
        storage.incr(_key("blocked", identifier, ip), delay)


def clear_failures(identifier: str, ip: str | None) -> None:
    """A success forgets the pair's failures."""
    if not _enabled():
        return
    storage = _storage()
    storage.clear(_key("failures", identifier, ip))
    storage.clear(_key("blocked", identifier, ip))
