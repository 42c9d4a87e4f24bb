"""Single use of an authorization code, under races (RFC 6749 §4.1.2).

Exactly one exchange claims a code (a conditional UPDATE), in the transaction that
saves its tokens: the claim holds the code's row (PostgreSQL) or the database
(SQLite) until the tokens are committed. A later use claims in vain only once that
transaction has ended, then marks the code replayed and revokes what the winner
issued, so a replay that lands while the winner is still building its tokens waits
for them and revokes them too.
"""

from __future__ import annotations

from sqlalchemy import select, update

from app.accounts import events

from ..extensions import db
from ..models import AccessToken, AuthorizationCode, utcnow
from . import refresh


def claim(code: AuthorizationCode) -> bool:
    """Mark the code used; True for the one exchange that got it first. The token
    endpoint commits the claim with the tokens it issues (app/web/oidc.py)."""
    claimed = db.session.execute(
        update(AuthorizationCode)
        .where(AuthorizationCode.id == code.id, AuthorizationCode.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    return claimed == 1


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
