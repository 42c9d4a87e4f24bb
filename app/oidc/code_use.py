"""Single use of an authorization code, under races (RFC 6749 §4.1.2).

Exactly one exchange claims a code (a conditional UPDATE that also reads the row
back: RETURNING), in the transaction that saves its tokens: the claim holds the
code's row (PostgreSQL) or the database (SQLite) until the tokens are committed. A
later use claims in vain only once that transaction has ended, then marks the code
replayed and revokes what the winner issued, so a replay that lands while the
winner is still building its tokens waits for them and revokes them too.
"""

from __future__ import annotations

from sqlalchemy import bindparam, select, update

from app.accounts import events

from ..extensions import db
from ..models import AccessToken, AuthorizationCode, rows, sha256_hex, utcnow
from . import refresh

# Claim and read a code in one statement (Core, built once).
_CODES = AuthorizationCode.__table__
_REDEEM = (
    update(_CODES)
    .where(
        _CODES.c.code_hash == bindparam("hashed"),
        _CODES.c.client_id == bindparam("app"),
        _CODES.c.used_at.is_(None),
    )
    .values(used_at=bindparam("now"))
    .returning(*_CODES.c)
)


def redeem(code: str, client_id: str) -> AuthorizationCode | None:
    """The code's row, claimed for this exchange of app `client_id` (one UPDATE …
    RETURNING); None for an unknown code, another app's, or a used one, whose second
    use is a replay: it is marked and what the first exchange issued is revoked. The
    token endpoint commits the claim with the tokens it issues (app/web/oidc.py)."""
    code_hash = sha256_hex(code)
    params = {"hashed": code_hash, "app": client_id, "now": utcnow()}
    claimed = db.session.connection().execute(_REDEEM, params).mappings().first()
    if claimed is not None:
        return rows.loaded(AuthorizationCode(**claimed))  # as if read: no INSERT, no UPDATE
    found = db.session.scalars(select(AuthorizationCode).filter_by(code_hash=code_hash)).first()
    if found is not None and found.client_id == client_id and found.used_at is not None:
        revoke_after_replay(found)
    return None


def revoke_after_replay(code: AuthorizationCode) -> None:
    """A second use: mark the code replayed (so a token still being saved is born
    revoked), then revoke every token already issued for it."""
    now = utcnow()
    db.session.execute(
        update(AuthorizationCode).where(AuthorizationCode.id == code.id).values(replayed_at=now)
    )
    families = db.session.scalars(
        select(AccessToken.refresh_family).where(
            AccessToken.authorization_code_id == code.id, AccessToken.refresh_family.is_not(None)
        )
    ).all()
    refresh.end_families(families)  # and the access tokens their refreshes issued
    revoked = db.session.execute(
        update(AccessToken)
        .where(AccessToken.authorization_code_id == code.id, AccessToken.revoked_at.is_(None))
        .values(revoked_at=now)
    ).rowcount
    events.record(
        "token.code_replayed", client_id=code.client_id, user_id=code.user_id, revoked=revoked
    )
    db.session.commit()
