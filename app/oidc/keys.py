"""RSA signing keys for ID tokens: created on first use, rotated, published as JWKS."""

from __future__ import annotations

from functools import lru_cache

from flask import current_app
from joserfc.jwk import KeySet, RSAKey
from sqlalchemy import select

from app import at_rest
from app.extensions import db
from app.models import SigningKey, random_id, utcnow


def _new_key() -> SigningKey:
    key = RSAKey.generate_key(2048, private=True)
    pem = key.as_pem(private=True).decode()
    return SigningKey(kid=random_id(16), sealed_private_pem=at_rest.seal(pem))


# session.info keys: the key current() found in this session (one request), and the
# kid of the newest active key as a statement of this session read it (NEWEST_KID).
CURRENT_KEY = "latchkey.current_signing_key"
SEEN_NEWEST_KID = "latchkey.newest_signing_kid"

# The newest active key's kid as a column: a query the request runs anyway carries it
# (see note_newest_kid), and current() then needs no query of its own when this process
# already holds that key.
NEWEST_KID = (
    select(SigningKey.kid)
    .where(SigningKey.retired_at.is_(None))
    .order_by(SigningKey.id.desc())
    .limit(1)
    .scalar_subquery()
    .label("newest_signing_kid")
)

# Per app (in app.extensions, so per process): copies (kid and sealed key, never
# attached to a session) of the keys current() has read, by kid. A copy is used only
# for the kid the database names as the newest active one in this request, so a
# rotation or a retirement anywhere takes effect at the next request of every process.
# Rotations are rare: past a few keys, the copies are dropped and read again.
COPIES = "latchkey.signing_key_copies"
_COPIES_KEPT = 4


def _copies() -> dict[str, SigningKey]:
    return current_app.extensions.setdefault(COPIES, {})


def note_newest_kid(kid: str | None) -> None:
    """Record the newest active key's kid that a statement of this request read (the
    NEWEST_KID column); None (no active key yet) records nothing."""
    if kid is not None:
        db.session.info[SEEN_NEWEST_KID] = kid


def current() -> SigningKey:
    """The newest active key; generated and stored on first use. Read once per session
    (one request), so an ID token's `kid` header and its signature use the same key
    even when another process rotates keys meanwhile. When a statement of the request
    already read the newest key's kid (NEWEST_KID) and this process holds that key,
    no query is needed."""
    info = db.session.info
    key = info.get(CURRENT_KEY)
    if (
        key is not None
        and key.retired_at is None
        and (key in db.session or _copies().get(key.kid) is key)
    ):
        return key
    key = _copies().get(info.pop(SEEN_NEWEST_KID, None) or "")
    if key is None:
        key = _remember(_read_newest())
    info[CURRENT_KEY] = key
    return key


def _read_newest() -> SigningKey:
    key = (
        db.session.query(SigningKey)
        .filter(SigningKey.retired_at.is_(None))
        .order_by(SigningKey.id.desc())
        .first()
    )
    if key is None:
        key = _new_key()
        db.session.add(key)
        db.session.commit()
    return key


def _remember(key: SigningKey) -> SigningKey:
    """Keep a detached copy of an active key for this process; returns `key` itself."""
    copies = _copies()
    if key.kid not in copies:
        if len(copies) >= _COPIES_KEPT:
            copies.clear()
        copies[key.kid] = SigningKey(kid=key.kid, sealed_private_pem=key.sealed_private_pem)
    return key


def rotate() -> SigningKey:
    """Add a new signing key; older keys stay published so issued tokens still verify."""
    key = _new_key()
    db.session.add(key)
    db.session.commit()
    db.session.info[CURRENT_KEY] = key
    db.session.info.pop(SEEN_NEWEST_KID, None)
    return key


def private_jwk(key: SigningKey) -> RSAKey:
    """The key, unsealed and parsed once per process (loading an RSA key costs ~50 ms)."""
    return _parsed(key.kid, key.sealed_private_pem)


@lru_cache(maxsize=32)
def _parsed(kid: str, sealed_pem: str) -> RSAKey:
    pem = at_rest.unseal(sealed_pem)
    return RSAKey.import_key(pem, {"kid": kid, "use": "sig", "alg": "RS256"})


def reencrypt() -> int:
    """Seal every signing key under the newest key-encryption key; no commit.

    Run after putting a new key first in FLASK_KEY_ENCRYPTION_KEYS; then the old
    key may be dropped. Returns how many keys were sealed again.
    """
    found = db.session.query(SigningKey).all()
    for key in found:
        key.sealed_private_pem = at_rest.reseal(key.sealed_private_pem)
    return len(found)


def published() -> list[SigningKey]:
    return (
        db.session.query(SigningKey)
        .filter(SigningKey.retired_at.is_(None))
        .order_by(SigningKey.id.desc())
        .all()
    )


def jwks() -> dict:
    """The public JWKS document (public parts only)."""
    current()  # make sure at least one key exists
    keys = [private_jwk(k).as_dict(private=False) for k in published()]
    return {"keys": keys}


def key_set() -> KeySet:
    return KeySet([RSAKey.import_key(k) for k in jwks()["keys"]])


def retire(kid: str) -> bool:
    key = db.session.query(SigningKey).filter_by(kid=kid).first()
    if key is None:
        return False
    key.retired_at = utcnow()
    db.session.commit()
    db.session.info.pop(CURRENT_KEY, None)
    db.session.info.pop(SEEN_NEWEST_KID, None)
    return True
