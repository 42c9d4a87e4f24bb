"""Client-credentials tokens for the Management API (a subset of Auth0's /api/v2).

A management (m2m) client trades its client_id and secret for a short-lived JWT
access token, signed with the current signing key: `aud` is `<issuer>/api/v2/` (as
Auth0's), `scope` the Management API scopes the client was granted (all of them,
unless it asks for fewer), `sub` `<client_id>@clients`. Tokens are not stored: every
call checks the signature, issuer, audience and expiry, and that the client still
exists, is a management client and still holds each scope.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import InvalidRequestError, grants
from flask import current_app
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwt import JWTClaimsRegistry

from app.accounts import events

from ..extensions import db
from ..models import Client, random_id
from . import keys
from .params import CLIENT_CREDENTIALS
from .server import issuer

GRANT_TYPE_CLAIM = "client-credentials"  # Auth0's `gty`
TOKEN_MAX_LENGTH = 4000


def audience() -> str:
    """The Management API's identifier, `<issuer>/api/v2/`, as Auth0 names it."""
    return issuer().rstrip("/") + "/api/v2/"


class ManagementAccessDenied(OAuth2Error):
    """Auth0's 403 access_denied at the token endpoint."""

    error = "access_denied"
    status_code = 403


class ManagementTokenGrant(grants.ClientCredentialsGrant):
    """client_credentials for management clients, with Auth0's `audience`."""

    GRANT_TYPE = CLIENT_CREDENTIALS
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    def validate_token_request(self):
        super().validate_token_request()
        asked = self.request.payload.data.get("audience")
        if not asked:
            raise InvalidRequestError(f"Missing 'audience': the Management API is {audience()}.")
        if asked != audience():
            raise ManagementAccessDenied(
                f"Service not found; the Management API's audience is {audience()}."
            )
        if not self.client.get_allowed_scope(self.request.payload.scope):
            raise ManagementAccessDenied(
                "This client has been granted none of the scopes it asks for."
            )

    def create_token_response(self):
        client = self.request.client
        scope = client.get_allowed_scope(self.request.payload.scope)
        token = issue(client.row, scope)
        events.record("token.issued", client_id=client.get_client_id(), scope=scope, m2m=True)
        db.session.commit()
        return 200, token, self.TOKEN_RESPONSE_HEADER


def issue(client: Client, scope: str) -> dict:
    """A signed access token for a management client, in a token response."""
    ttl = current_app.config["MANAGEMENT_TOKEN_TTL"]
    now = int(time.time())
    claims = {
        "iss": issuer(),
        "sub": f"{client.client_id}@clients",
        "aud": audience(),
        "azp": client.client_id,
        "iat": now,
        "exp": now + ttl,
        "jti": random_id(24),
        "scope": scope,
        "gty": GRANT_TYPE_CLAIM,
    }
    key = keys.current()
    header = {"alg": "RS256", "typ": "JWT", "kid": key.kid}
    access_token = jwt.encode(header, claims, keys.private_jwk(key), algorithms=["RS256"])
    return {"access_token": access_token, "token_type": "Bearer", "expires_in": ttl, "scope": scope}


@dataclass(frozen=True)
class Caller:
    """Who calls the Management API: a management client and the scopes it holds now."""

    client_id: str
    scopes: frozenset[str]

    @property
    def actor(self) -> str:
        """How audit events name this caller."""
        return f"m2m:{self.client_id}"


_CLAIMS = JWTClaimsRegistry(
    leeway=5,
    iss={"essential": True},
    aud={"essential": True},
    exp={"essential": True},
    azp={"essential": True},
    gty={"essential": True, "value": GRANT_TYPE_CLAIM},
)


def caller_of(token_string: str | None) -> Caller | None:
    """The caller a management access token speaks for, or None when the token is not
    one (bad signature, other issuer or audience, expired) or its client is gone."""
    claims = _verified_claims(token_string, _CLAIMS)
    if claims is None:
        return None
    if claims.get("iss") != issuer() or claims.get("aud") != audience():
        return None
    client_id = claims.get("azp")
    if not isinstance(client_id, str) or len(client_id) > 64:
        return None
    client = db.session.query(Client).filter_by(client_id=client_id).first()
    if client is None or not client.is_management:
        return None
    asked = str(claims.get("scope") or "").split()
    held = frozenset(s for s in asked if s in (client.scopes or []))
    return Caller(client_id=client_id, scopes=held)


_ID_TOKEN_CLAIMS = JWTClaimsRegistry(
    leeway=5,
    iss={"essential": True},
    aud={"essential": True},
    exp={"essential": True},
    sub={"essential": True},
)


def id_token_subject(id_token: object) -> str | None:
    """The `sub` of an ID token this server signed (RS256, any of its published keys)
    for one of its sign-in apps and that has not expired: Auth0's `link_with`. None for
    anything else: another issuer's token, a management access token (its audience is
    the API, not an app), an m2m client's audience, an expired or altered token."""
    claims = _verified_claims(id_token, _ID_TOKEN_CLAIMS)
    if claims is None:
        return None
    audience_claim = claims.get("aud")
    audiences = [audience_claim] if isinstance(audience_claim, str) else audience_claim
    subject = claims.get("sub")
    if claims.get("iss") != issuer() or not isinstance(audiences, list) or len(audiences) != 1:
        return None
    if not isinstance(subject, str) or not isinstance(audiences[0], str) or len(audiences[0]) > 64:
        return None
    client = db.session.query(Client).filter_by(client_id=audiences[0]).first()
    if client is None or client.is_management:
        return None
    return subject


def _verified_claims(token_string: object, registry: JWTClaimsRegistry) -> dict | None:
    """The claims of a JWT this server signed (RS256, any of its published keys) that
    `registry` accepts; None for anything else (not a string, too long, not a JWT,
    altered, expired)."""
    if not isinstance(token_string, str) or not token_string:
        return None
    if len(token_string) > TOKEN_MAX_LENGTH:
        return None
    try:
        token = jwt.decode(token_string, keys.key_set(), algorithms=["RS256"])
        registry.validate(token.claims)
    except (JoseError, ValueError, TypeError):
        return None
    return token.claims
