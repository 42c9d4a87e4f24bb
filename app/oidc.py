"""OpenID Connect: Authlib's authorization server, our grants, claims and tokens.

All protocol wiring lives here; the web layer only calls `server` and the
functions below and hands protocol errors to Authlib's error responses.
"""

from __future__ import annotations

import ipaddress
import time
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from authlib.common.urls import add_params_to_uri
from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from authlib.integrations.flask_oauth2.requests import FlaskOAuth2Payload
from authlib.oauth2 import OAuth2Error, OAuth2Request
from authlib.oauth2.rfc6749 import (
    InvalidClientError,
    InvalidRequestError,
    UnsupportedResponseTypeError,
    grants,
)
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from authlib.oauth2.rfc6750 import BearerTokenValidator
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc9207 import IssuerParameter
from authlib.oidc.core import OpenIDCode, UserInfo, UserInfoEndpoint
from authlib.oidc.rpinitiated import EndSessionEndpoint
from flask import current_app
from flask import request as flask_request
from sqlalchemy import update

from . import events, signing_keys
from .extensions import db
from .models import AccessToken, AuthorizationCode, Client, User, sha256_hex, utcnow

SCOPES_SUPPORTED = ["openid", "email", "phone", "profile"]
AUTHORIZE_PARAMS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "prompt",
    "max_age",
    "ui_locales",
    "login_hint",
    "connection",
    "response_mode",
)


def issuer() -> str:
    return current_app.config["ISSUER"]


# --- Clients ---------------------------------------------------------------


def _is_loopback_ip(host: str | None) -> bool:
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


def redirect_uri_matches(client: Client, uri: str) -> bool:
    """Exact match against the registered list; for native apps a loopback IP callback
    may use any port (RFC 8252 §7.3)."""
    if not uri or len(uri) > 2000:
        return False
    if uri in client.redirect_uris:
        return True
    if client.client_type != "native":
        return False
    try:
        asked = urlsplit(uri)
        port = asked.port
    except ValueError:
        return False
    if asked.scheme != "http" or not _is_loopback_ip(asked.hostname) or port is None:
        return False
    for registered in client.redirect_uris:
        known = urlsplit(registered)
        if (
            known.scheme == "http"
            and known.hostname == asked.hostname
            and known.path == asked.path
            and known.query == asked.query
            and not asked.fragment
            and asked.username is None
        ):
            return True
    return False


class OAuthClient:
    """Authlib's view of a Client row."""

    def __init__(self, client: Client):
        self.row = client
        self.client_id = client.client_id
        self.client_metadata = {"post_logout_redirect_uris": list(client.logout_urls or [])}

    def get_client_id(self) -> str:
        return self.row.client_id

    def get_default_redirect_uri(self) -> None:
        return None  # redirect_uri is always required

    def get_allowed_scope(self, scope: str | None) -> str:
        if not scope:
            return ""
        return " ".join(s for s in scope.split() if s in SCOPES_SUPPORTED)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri_matches(self.row, redirect_uri)

    def check_client_secret(self, client_secret: str) -> bool:
        return self.row.check_secret(client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if self.row.is_public:
            return method == "none"
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


def query_client(client_id: str | None) -> OAuthClient | None:
    if not client_id or len(client_id) > 64:
        return None
    row = db.session.query(Client).filter_by(client_id=client_id).first()
    return OAuthClient(row) if row else None


# --- Requests ----------------------------------------------------------------


class IssuerURLRequest(OAuth2Request):
    """The current Flask request, addressed by the issuer URL (a proxy may speak http)."""

    def __init__(self):
        uri = issuer() + flask_request.full_path.rstrip("?")
        super().__init__(flask_request.method, uri, headers=flask_request.headers)
        self.payload = FlaskOAuth2Payload(flask_request)

    @property
    def args(self):
        return flask_request.args

    @property
    def form(self):
        return flask_request.form


class StoredAuthorizeRequest(OAuth2Request):
    """An authorize request kept on a login ticket, replayed once the user signed in."""

    def __init__(self, params: dict[str, Any]):
        super().__init__("GET", issuer() + "/authorize", headers={})
        self.payload = BasicOAuth2Payload({k: v for k, v in params.items() if v is not None})

    @property
    def args(self):
        return self.payload.data

    @property
    def form(self):
        return {}


class LatchkeyAuthorizationServer(AuthorizationServer):
    def create_oauth2_request(self, request):
        if isinstance(request, OAuth2Request):
            return request
        return IssuerURLRequest()

    def authenticate_client(self, request, methods, endpoint="token"):
        """As Authlib's, but an undecodable Basic header is a bad client, not a crash."""
        try:
            return super().authenticate_client(request, methods, endpoint)
        except (ValueError, UnicodeDecodeError):
            raise InvalidClientError(
                description="Unreadable client credentials.", status_code=401
            ) from None

    def get_authorization_grant(self, request):
        """As Authlib's, but an unsupported response_type is never echoed raw: Authlib
        refuses error descriptions with quotes, backslashes or non-ASCII characters."""
        if request.payload.response_type == "code":
            return super().get_authorization_grant(request)
        redirect_uri = None
        client = self.query_client(request.payload.client_id)
        asked = request.payload.redirect_uri
        if client is not None and asked and client.check_redirect_uri(asked):
            redirect_uri = asked
        raise UnsupportedResponseTypeError(
            _printable(request.payload.response_type), redirect_uri=redirect_uri
        )


def _printable(value: str | None) -> str:
    return "".join(ch for ch in (value or "") if " " <= ch <= "~" and ch not in '"\\')[:40]


# --- Grants --------------------------------------------------------------------


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
        return redirect_uri

    def save_authorization_code(self, code, request):
        sign_in = request.user
        payload = request.payload.data
        row = AuthorizationCode(
            code_hash=sha256_hex(code),
            client_id=request.client.get_client_id(),
            user_id=sign_in.user.id,
            redirect_uri=request.payload.redirect_uri,
            scope=request.scope or "",
            nonce=payload.get("nonce"),
            code_challenge=payload.get("code_challenge"),
            code_challenge_method=payload.get("code_challenge_method"),
            auth_time=sign_in.auth_time,
            amr=sign_in.amr,
            expires_at=utcnow() + timedelta(seconds=current_app.config["AUTHORIZATION_CODE_TTL"]),
        )
        db.session.add(row)
        db.session.commit()

    def query_authorization_code(self, code, client):
        """Claim the code at once; a second use revokes what the first one issued."""
        row = db.session.query(AuthorizationCode).filter_by(code_hash=sha256_hex(code)).first()
        if row is None or row.client_id != client.get_client_id():
            return None
        claimed = db.session.execute(
            update(AuthorizationCode)
            .where(AuthorizationCode.id == row.id, AuthorizationCode.used_at.is_(None))
            .values(used_at=utcnow())
        ).rowcount
        if claimed != 1:
            revoke_tokens_of_code(row)
            return None
        db.session.commit()
        if row.expires_at <= utcnow():
            return None
        return row

    def delete_authorization_code(self, authorization_code):
        """Already marked used when claimed."""

    def authenticate_user(self, authorization_code):
        user = db.session.get(User, authorization_code.user_id)
        return None if user is None or user.blocked else user


def revoke_tokens_of_code(code: AuthorizationCode) -> None:
    now = utcnow()
    revoked = db.session.execute(
        update(AccessToken)
        .where(AccessToken.authorization_code_id == code.id, AccessToken.revoked_at.is_(None))
        .values(revoked_at=now)
    ).rowcount
    events.record(
        "token.code_replayed", client_id=code.client_id, user_id=code.user_id, revoked=revoked
    )
    db.session.commit()


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


class LatchkeyOpenIDCode(OpenIDCode):
    def exists_nonce(self, nonce, request):
        return (
            db.session.query(AuthorizationCode.id)
            .filter_by(client_id=request.payload.client_id, nonce=nonce)
            .first()
            is not None
        )

    def resolve_client_private_key(self, client):
        return signing_keys.private_jwk(signing_keys.current())

    def get_client_algorithm(self, client):
        return "RS256"

    def get_encode_header(self, client):
        return {"alg": "RS256", "kid": signing_keys.current().kid, "typ": "JWT"}

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


class LatchkeyIssuer(IssuerParameter):
    def get_issuer(self) -> str:
        return issuer()


# --- Tokens and userinfo ------------------------------------------------------


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


class AccessTokenValidator(BearerTokenValidator):
    def authenticate_token(self, token_string):
        if not token_string or len(token_string) > 200:
            return None
        row = db.session.query(AccessToken).filter_by(token_hash=sha256_hex(token_string)).first()
        return StoredToken(row) if row else None


def save_token(token: dict, request) -> None:
    code = request.authorization_code
    row = AccessToken(
        token_hash=sha256_hex(token["access_token"]),
        client_id=request.client.get_client_id(),
        user_id=request.user.id,
        scope=token.get("scope", ""),
        authorization_code_id=code.id if code is not None else None,
        expires_at=utcnow() + timedelta(seconds=int(token.get("expires_in", 3600))),
    )
    db.session.add(row)
    events.record("token.issued", client_id=row.client_id, user_id=row.user_id, scope=row.scope)
    db.session.commit()


class LatchkeyUserInfo(UserInfoEndpoint):
    def get_issuer(self) -> str:
        return issuer()

    def generate_user_info(self, user, scope):
        return user_claims(user, scope)

    def resolve_private_key(self):
        return signing_keys.private_jwk(signing_keys.current())


class LatchkeyEndSession(EndSessionEndpoint):
    def get_server_jwks(self):
        return signing_keys.jwks()

    def get_algorithms(self):
        return ["RS256"]

    def end_session(self, end_session_request):
        """No server-side session exists yet; the app's own session ends on its side."""
        client = end_session_request.client
        events.record("logout", client_id=client.get_client_id() if client else None)
        db.session.commit()


# --- Wiring -------------------------------------------------------------------

server = LatchkeyAuthorizationServer()
resource_protector = ResourceProtector()


def init_app(app) -> None:
    app.config.setdefault(
        "OAUTH2_TOKEN_EXPIRES_IN", {"authorization_code": app.config["ACCESS_TOKEN_TTL"]}
    )
    server.init_app(app, query_client=query_client, save_token=save_token)
    if not server._authorization_grants:  # the module-level server is shared by app instances
        server.register_grant(
            AuthorizationCodeGrant, [S256CodeChallenge(required=True), LatchkeyOpenIDCode()]
        )
        server.register_extension(LatchkeyIssuer())
        resource_protector.register_token_validator(AccessTokenValidator())
        server.register_endpoint(LatchkeyUserInfo(resource_protector=resource_protector))
        server.register_endpoint(LatchkeyEndSession)


def with_issuer(location: str) -> str:
    """Add `iss` to an authorization error redirect (RFC 9207)."""
    return add_params_to_uri(location, {"iss": issuer()})


def discovery_document() -> dict[str, Any]:
    base = issuer()
    return {
        "issuer": base,
        "authorization_endpoint": f"{base}/authorize",
        "token_endpoint": f"{base}/oauth/token",
        "userinfo_endpoint": f"{base}/userinfo",
        "jwks_uri": f"{base}/.well-known/jwks.json",
        "end_session_endpoint": f"{base}/logout",
        "scopes_supported": SCOPES_SUPPORTED,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
            "none",
        ],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": [
            "sub",
            "iss",
            "aud",
            "exp",
            "iat",
            "auth_time",
            "nonce",
            "amr",
            "email",
            "email_verified",
            "phone_number",
            "phone_number_verified",
        ],
        "prompt_values_supported": ["none", "login"],
        "ui_locales_supported": ["en"],
        "authorization_response_iss_parameter_supported": True,
    }


PARAM_LIMITS = {
    "client_id": 8000,  # longer than any client_id: reported as unknown
    "redirect_uri": 2000,
    "scope": 1000,
    "state": 2000,
    "nonce": 512,
    "code_challenge": 2000,  # its exact form is PKCE's own check
    "login_hint": 320,
    "ui_locales": 100,
    "prompt": 100,
}


def oversized_param(args) -> str | None:
    """The first authorize parameter longer than this server accepts, if any."""
    for name in AUTHORIZE_PARAMS:
        for value in args.getlist(name):
            if len(value) > PARAM_LIMITS.get(name, 100):
                return name
    return None


def authorize_params(args) -> dict[str, str]:
    """The authorize request's known parameters, kept on the login ticket."""
    return {k: args.get(k) for k in AUTHORIZE_PARAMS if args.get(k) is not None}


def error_redirect(error: OAuth2Error):
    """A protocol error as a redirect to the verified callback, with `iss` (RFC 9207);
    None when the callback could not be verified (the caller shows a page instead)."""
    if not error.redirect_uri:
        return None
    response = server.handle_error_response(None, error)
    response.headers["Location"] = with_issuer(response.headers["Location"])
    return response


def complete_authorization(sign_in):
    """Finish the authorize request stored on the ticket: redirect to the callback.

    Raises OAuth2Error when the request is no longer valid (see error_redirect)."""
    stored = StoredAuthorizeRequest(sign_in.ticket.authorize_params)
    grant = server.get_consent_grant(request=stored, end_user=sign_in)
    return server.create_authorization_response(request=stored, grant_user=sign_in, grant=grant)
