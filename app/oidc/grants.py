"""The authorization code grant: PKCE S256, ID token claims, single-use codes."""

from __future__ import annotations

import secrets
import time
from datetime import timedelta

from authlib.oauth2.rfc6749 import (
    InvalidRequestError,
    grants,
)
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc9207 import IssuerParameter
from authlib.oidc.core import OpenIDCode, OpenIDToken, UserInfo
from flask import current_app
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from app.oidc import code_use, keys, refresh, response_modes

from ..extensions import db
from ..models import AuthorizationCode, User, rows, sha256_hex, utcnow
from .server import issuer


class S256CodeChallenge(CodeChallenge):
    """PKCE with S256 only; required for public clients (spa, native)."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]

    def validate_code_challenge(self, grant, redirect_uri):
        payload = grant.request.payload.data
        challenge = payload.get("code_challenge")
        method = payload.get("code_challenge_method")
        if challenge and not method:
            raise InvalidRequestError("'code_challenge_method' must be S256.")
        super().validate_code_challenge(grant, redirect_uri)
        if not challenge and grant.request.client.row.is_public:
            raise InvalidRequestError("This app must use PKCE: send code_challenge with S256.")

    def get_authorization_code_challenge(self, authorization_code):
        return authorization_code.code_challenge

    def get_authorization_code_challenge_method(self, authorization_code):
        return authorization_code.code_challenge_method


_USER_WITH_NEWEST_KID = (
    select(User, keys.NEWEST_KID)
    .options(joinedload(User.identities))
    .where(User.id == bindparam("user_id"))
)


class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]

    @staticmethod
    def validate_authorization_redirect_uri(request, client):
        """Exact match; the error never echoes the (hostile) URI back."""
        redirect_uri = request.payload.redirect_uri
        if not redirect_uri:
            raise InvalidRequestError("Missing 'redirect_uri' in request.")
        if not client.check_redirect_uri(redirect_uri):
            raise InvalidRequestError("The 'redirect_uri' is not registered for this client.")
        response_modes.check_web_message(client, request.payload.data, redirect_uri)
        return redirect_uri

    def save_authorization_code(self, code, request):
        """One Core INSERT on the session's connection (no object: nothing reads it back
        in this request; pending events stay pending); the caller commits (with the
        sign-in and its SSO session)."""
        sign_in = request.user
        payload = request.payload.data
        now = utcnow()
        row = {
            "code_hash": sha256_hex(code),
            "client_id": request.client.get_client_id(),
            "user_id": sign_in.user.id,
            "redirect_uri": request.payload.redirect_uri,
            "scope": request.scope or "",
            "nonce": payload.get("nonce"),
            "code_challenge": payload.get("code_challenge"),
            "code_challenge_method": payload.get("code_challenge_method"),
            "auth_time": sign_in.auth_time,
            "amr": sign_in.amr,
            "claims": sign_in.claims or None,
            "created_at": now,
            "expires_at": now + timedelta(seconds=current_app.config["AUTHORIZATION_CODE_TTL"]),
            "used_at": None,
            "replayed_at": None,
        }
        rows.insert_row(AuthorizationCode, row)

    def query_authorization_code(self, code, client):
        """Claim the code at once; a second use revokes what the first one issued."""
        row = code_use.redeem(code, client.get_client_id())
        if row is None or row.expires_at <= utcnow():
            return None
        return row

    def generate_token(
        self, user=None, scope=None, grant_type=None, expires_in=None, include_refresh_token=True
    ):
        """A refresh token only when the granted scope has offline_access."""
        include = include_refresh_token and refresh.wants_refresh_token(scope)
        return super().generate_token(user, scope, grant_type, expires_in, include)

    def generate_authorization_code(self):
        """48 characters, 288 bits, from one read of the OS's random source (Authlib's
        default draws each of its 48 characters with a call of its own)."""
        return secrets.token_urlsafe(36)

    def delete_authorization_code(self, authorization_code):
        """Already marked used when claimed."""

    def authenticate_user(self, authorization_code):
        """The code's user, unless blocked. The identities come along (the ID token's
        claims read them), and so does the newest signing key's kid (keys.current)."""
        row = (
            db.session.execute(_USER_WITH_NEWEST_KID, {"user_id": authorization_code.user_id})
            .unique()
            .first()
        )
        if row is None:
            return None
        user, newest_kid = row
        keys.note_newest_kid(newest_kid)
        return None if user.blocked else user


def user_claims(user: User, scope: str) -> UserInfo:
    """Claims for a user, filtered by the granted scope."""
    info = UserInfo(sub=user.sub)
    scopes = (scope or "").split()
    email = user.identity_for("email")
    if "email" in scopes and email is not None:
        info["email"] = email.value
        info["email_verified"] = bool(email.verified)
    phone = user.identity_for("sms")
    if "phone" in scopes and phone is not None:
        info["phone_number"] = phone.value
        info["phone_number_verified"] = bool(phone.verified)
    return info


class LatchkeyIdTokens:
    """How this server signs ID tokens (RS256, the current key) and what they say."""

    def resolve_client_private_key(self, client):
        return keys.private_jwk(keys.current())

    def get_client_algorithm(self, client):
        return "RS256"

    def get_encode_header(self, client):
        return {"alg": "RS256", "kid": keys.current().kid, "typ": "JWT"}

    def get_client_claims(self, client):
        now = int(time.time())
        return {
            "iss": issuer(),
            "aud": client.get_client_id(),
            "iat": now,
            "exp": now + current_app.config["ID_TOKEN_TTL"],
        }

    def generate_user_info(self, user, scope):
        return user_claims(user, scope)

    def get_authorization_code_claims(self, authorization_code):
        """Authlib's (nonce, auth_time, amr) and the post-login hooks' namespaced claims."""
        claims = dict(authorization_code.claims or {})
        claims.update(super().get_authorization_code_claims(authorization_code))
        return claims


class LatchkeyOpenIDCode(LatchkeyIdTokens, OpenIDCode):
    def exists_nonce(self, nonce, request):
        """A client may send a nonce again: replay protection is the relying party's
        check of the ID token's nonce (OIDC Core §15.5.2), not the server's."""
        return False


class LatchkeyOpenIDToken(LatchkeyIdTokens, OpenIDToken):
    """An ID token in a refresh response when the scope has openid, as Auth0 sends and
    auth0-spa-js requires (OIDC Core §12.2): the same iss, sub and aud, a new iat, the
    user's claims as they are now, and the sign-in's auth_time, amr and hooks' claims,
    kept by the refresh token's family; no nonce (it belongs to the authorization
    request, and a refresh is none)."""

    def get_compatible_claims(self, request):
        claims = super().get_compatible_claims(request)
        claims.pop("auth_time", None)  # Authlib's default, "now", would claim a new sign-in
        claims.update(refresh.sign_in_claims(request.refresh_token.row))
        return claims


class LatchkeyIssuer(IssuerParameter):
    def get_issuer(self) -> str:
        return issuer()
