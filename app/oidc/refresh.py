"""Refresh tokens for scope `offline_access`.

Every use rotates the token: it is marked used and a new one of the same family
is issued. A used (or revoked) token presented again means it leaked, so the
whole family ends: its refresh tokens and the access tokens they issued. A token
dies after `REFRESH_TOKEN_IDLE` seconds without use and, whatever its use,
`REFRESH_TOKEN_ABSOLUTE` seconds after the sign-in that began its family.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from authlib.oauth2.rfc6749 import InvalidGrantError, grants
from flask import current_app
from sqlalchemy import update

from app.accounts import events

from ..extensions import db
from ..models import AccessToken, RefreshToken, User, random_id, sha256_hex, utcnow

OFFLINE_ACCESS = "offline_access"
MAX_TOKEN_LENGTH = 200


def wants_refresh_token(scope: str | None) -> bool:
    """Whether a granted scope asks for a refresh token."""
    return OFFLINE_ACCESS in (scope or "").split()


class StoredRefreshToken:
    """Authlib's view of a RefreshToken row."""

    def __init__(self, row: RefreshToken):
        self.row = row

    def check_client(self, client) -> bool:
        return self.row.client_id == client.get_client_id()

    def get_scope(self) -> str:
        return self.row.scope

    def revoke(self) -> None:
        """Revocation of a refresh token ends its family (RFC 7009 §2.1)."""
        revoke_family(self.row.family_id, self.row, reason="revoked")


def find(token_string: str | None) -> RefreshToken | None:
    if not token_string or len(token_string) > MAX_TOKEN_LENGTH:
        return None
    return db.session.query(RefreshToken).filter_by(token_hash=sha256_hex(token_string)).first()


def save_refresh_token(token_string: str, request) -> str:
    """Store a newly issued refresh token; returns its family. A rotated token keeps
    its predecessor's family, sign-in (time, amr, hooks' claims) and granted scope."""
    now = utcnow()
    inherited = _family_of(request, now)
    db.session.add(
        RefreshToken(
            token_hash=sha256_hex(token_string),
            client_id=request.client.get_client_id(),
            user_id=request.user.id,
            issued_at=now,
            expires_at=_expiry(now, inherited["family_started_at"]),
            **inherited,
        )
    )
    return inherited["family_id"]


def _family_of(request, now: datetime) -> dict:
    """What every token of a family shares: from the token it rotates, or from the
    authorization code that began the family."""
    previous = request.refresh_token
    if previous is not None:
        row = previous.row
        return {
            "family_id": row.family_id,
            "family_started_at": row.family_started_at,
            "scope": row.scope,
            "claims": row.claims,
            "auth_time": row.auth_time,
            "amr": row.amr,
        }
    code = request.authorization_code
    return {
        "family_id": random_id(32),
        "family_started_at": now,
        "scope": code.get_scope(),
        "claims": code.claims,
        "auth_time": code.get_auth_time(),
        "amr": code.get_amr(),
    }


def sign_in_claims(row: RefreshToken) -> dict:
    """The claims of the sign-in that began a family, for a refreshed ID token (OIDC
    Core §12.2: auth_time is the original authentication's): auth_time and amr, and the
    post-login hooks' claims. A family older than the stored auth_time has none."""
    claims = dict(row.claims or {})
    if row.auth_time is not None:
        claims["auth_time"] = row.auth_time
    if row.amr:
        claims["amr"] = list(row.amr)
    return claims


def _expiry(now: datetime, started: datetime) -> datetime:
    config = current_app.config
    idle = now + timedelta(seconds=config["REFRESH_TOKEN_IDLE"])
    return min(idle, started + timedelta(seconds=config["REFRESH_TOKEN_ABSOLUTE"]))


def revoke_family(family_id: str, row: RefreshToken, reason: str) -> int:
    """Revoke every refresh token of a family and the access tokens it issued (an event)."""
    revoked = end_families([family_id])
    events.record(
        f"token.refresh_{reason}", client_id=row.client_id, user_id=row.user_id, revoked=revoked
    )
    return revoked


def end_families(family_ids) -> int:
    """Revoke the refresh tokens of these families (a list or a subquery) and every access
    token they issued; returns how many refresh tokens ended."""
    now = utcnow()
    revoked = db.session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id.in_(family_ids), RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    ).rowcount
    db.session.execute(
        update(AccessToken)
        .where(AccessToken.refresh_family.in_(family_ids), AccessToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return revoked


def revoke_for_user(user: User, reason: str = "", **_: object) -> None:
    """Listener of accounts.signals.signed_out_everywhere: the user's refresh tokens and
    access tokens stop working (the caller commits)."""
    now = utcnow()
    for model in (RefreshToken, AccessToken):
        db.session.execute(
            update(model)
            .where(model.user_id == user.id, model.revoked_at.is_(None))
            .values(revoked_at=now)
        )


class RefreshTokenGrant(grants.RefreshTokenGrant):
    """grant_type=refresh_token with rotation and reuse detection."""

    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token):
        row = find(refresh_token)
        if row is None or row.client_id != self.request.client.get_client_id():
            raise InvalidGrantError("The refresh token is not valid for this client.")
        if row.revoked_at is None and row.used_at is not None:
            self._reused(row)
        if row.revoked_at is not None or row.expires_at <= utcnow() or row.user.blocked:
            raise InvalidGrantError("The refresh token has expired or was revoked.")
        return StoredRefreshToken(row)

    def create_token_response(self):
        """Claim the token before issuing its successor: of two parallel uses, one wins
        and the other counts as reuse."""
        row = self.request.refresh_token.row
        claimed = db.session.execute(
            update(RefreshToken)
            .where(
                RefreshToken.id == row.id,
                RefreshToken.used_at.is_(None),
                RefreshToken.revoked_at.is_(None),
            )
            .values(used_at=utcnow())
        ).rowcount
        if claimed != 1:
            self._reused(row)
        return super().create_token_response()

    def _reused(self, row: RefreshToken):
        revoke_family(row.family_id, row, reason="reused")
        db.session.commit()
        raise InvalidGrantError(
            "The refresh token was already used: every token of this sign-in is revoked."
        )

    def authenticate_user(self, refresh_token):
        return refresh_token.row.user

    def revoke_old_credential(self, refresh_token):
        """Already marked used when claimed."""
