"""Access tokens, /userinfo and RP-initiated logout."""

from __future__ import annotations

import secrets
from datetime import timedelta

from authlib.consts import default_json_headers
from authlib.oauth2.rfc6750 import BearerTokenValidator
from authlib.oidc.core import UserInfoEndpoint
from authlib.oidc.rpinitiated import EndSessionEndpoint

from app.accounts import events, linking
from app.oidc import keys, refresh

from ..extensions import db
from ..models import AccessToken, User, rows, sha256_hex, utcnow
from .clients import OAuthClient, query_client
from .grants import user_claims
from .server import issuer


class StoredToken:
    """Authlib's view of an AccessToken row."""

    def __init__(self, row: AccessToken):
        self.row = row
        self.scope = row.scope

    def check_client(self, client) -> bool:
        return self.row.client_id == client.get_client_id()

    def get_scope(self) -> str:
        return self.row.scope

    def get_expires_in(self) -> int:
        return int((self.row.expires_at - self.row.issued_at).total_seconds())

    def is_expired(self) -> bool:
        return self.row.expires_at <= utcnow()

    def is_revoked(self) -> bool:
        return self.row.revoked_at is not None or self.row.user.blocked

    def get_user(self) -> User:
        return self.row.user

    def get_client(self) -> OAuthClient | None:
        return query_client(self.row.client_id)

    def revoke(self) -> None:
        """Revocation of an access token ends that token only (RFC 7009 §2.1)."""
        self.row.revoked_at = self.row.revoked_at or utcnow()


class AccessTokenValidator(BearerTokenValidator):
    def authenticate_token(self, token_string):
        row = find(token_string)
        return StoredToken(row) if row else None


def find(token_string: str | None) -> AccessToken | None:
    if not token_string or len(token_string) > 200:
        return None
    return db.session.query(AccessToken).filter_by(token_hash=sha256_hex(token_string)).first()


def new_access_token(*_args, **_kwargs) -> str:
    """An access token: 256 bits in 43 characters, from one read of the OS's random
    source (Authlib's default draws each character with a call of its own)."""
    return secrets.token_urlsafe(32)


def save_token(token: dict, request) -> None:
    """Store an issued access token and, with offline_access, its refresh token. The
    token endpoint commits them with the code's claim and the event (one transaction)."""
    code = request.authorization_code
    family = None
    if token.get("refresh_token"):
        family = refresh.save_refresh_token(token["refresh_token"], request)
    now = utcnow()
    row = {
        "token_hash": sha256_hex(token["access_token"]),
        "client_id": request.client.get_client_id(),
        "user_id": request.user.id,
        "scope": token.get("scope", ""),
        "authorization_code_id": code.id if code is not None else None,
        "refresh_family": family,
        "claims": claims_of(request),
        "issued_at": now,
        "expires_at": now + timedelta(seconds=int(token.get("expires_in", 3600))),
        "revoked_at": None,
    }
    rows.insert_row(AccessToken, row)
    events.record(
        "token.issued", client_id=row["client_id"], user_id=row["user_id"], scope=row["scope"]
    )


def claims_of(request) -> dict | None:
    """The post-login hooks' claims of what a token is issued for: the code, the refresh
    token, or the OTP grant's sign-in."""
    if request.authorization_code is not None:
        return request.authorization_code.claims
    if getattr(request, "refresh_token", None) is not None:
        return request.refresh_token.row.claims
    return getattr(request, "hook_claims", None) or None


class LatchkeyUserInfo(UserInfoEndpoint):
    def get_issuer(self) -> str:
        return issuer()

    def generate_user_info(self, user, scope):
        """The ID token's claims, and `identities` (Auth0's shape): the verified ones the
        scope lets the app see. Only here, not in the ID token: identities change after
        sign-in (linking, unlinking), and /userinfo answers with what holds now."""
        info = user_claims(user, scope)
        info["identities"] = linking.identities(user, scope)
        return info

    def __call__(self, request):
        """As Authlib's (no app asks for signed userinfo), with the token's hook claims."""
        token = self.resource_protector.acquire_token("openid")
        info = dict(token.row.claims or {})
        info.update(self.generate_user_info(token.get_user(), token.scope))
        return 200, info, default_json_headers

    def resolve_private_key(self):
        return keys.private_jwk(keys.current())


class LatchkeyEndSession(EndSessionEndpoint):
    def get_server_jwks(self):
        return keys.jwks()

    def get_algorithms(self):
        return ["RS256"]

    def end_session(self, end_session_request):
        """Record the logout; the logout view ends this browser's SSO session, and the
        app's own session ends on its side."""
        client = end_session_request.client
        events.record("logout", client_id=client.get_client_id() if client else None)
        db.session.commit()
