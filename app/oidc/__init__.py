"""OpenID Connect: Authlib's authorization server, our grants, claims and tokens.

All protocol wiring lives in this package; the web layer only calls what this
module exports and hands protocol errors to Authlib's error responses.
"""

from __future__ import annotations

from authlib.common.urls import add_params_to_uri
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import AccessDeniedError
from flask import current_app

from app.accounts import events, signals

from ..extensions import db
from . import response_modes
from .bearer import BearerResourceProtector
from .clients import (
    OAuthClient,
    client_id_of_request,
    is_registered_origin,
    query_client,
    redirect_uri_matches,
)
from .console import challenge_for, redeem_code
from .discovery import discovery_document
from .grants import (
    AuthorizationCodeGrant,
    LatchkeyIssuer,
    LatchkeyOpenIDCode,
    LatchkeyOpenIDToken,
    S256CodeChallenge,
    user_claims,
)
from .logout import LogoutRefused, auth0_return_to
from .logout import needs_confirmation as logout_needs_confirmation
from .management import ManagementTokenGrant
from .otp_grant import OTP_GRANT_TYPE, PasswordlessOtpGrant
from .params import authorize_params, oversized_param
from .refresh import RefreshTokenGrant, revoke_for_user
from .response_modes import PageAnswer, set_renderer
from .revocation import TokenRevocation
from .server import LatchkeyAuthorizationServer, StoredAuthorizeRequest, issuer
from .strict import RefuseUnsupportedRequests, printable
from .tokens import (
    AccessTokenValidator,
    LatchkeyEndSession,
    LatchkeyUserInfo,
    new_access_token,
    save_token,
)

# What the web layer and the domain use.
__all__ = [
    "LogoutRefused",
    "OAuthClient",
    "PageAnswer",
    "authorize_params",
    "access_denied",
    "answer_authorize",
    "auth0_return_to",
    "complete_authorization",
    "discovery_document",
    "client_id_of_request",
    "error_redirect",
    "init_app",
    "initiate_login_url",
    "is_registered_origin",
    "issuer",
    "logout_needs_confirmation",
    "oversized_param",
    "query_client",
    "refusal",
    "redirect_uri_matches",
    "server",
    "set_renderer",
    "build_server",
    "challenge_for",
    "redeem_code",
    "stored_request_problem",
    "user_claims",
]

EXTENSION_KEY = "latchkey.oauth2_server"


def build_server(app) -> LatchkeyAuthorizationServer:
    """A new authorization server for `app`, with our grants and endpoints."""
    authorization = LatchkeyAuthorizationServer()
    authorization.init_app(app, query_client=query_client, save_token=save_token)
    authorization.register_grant(
        AuthorizationCodeGrant,
        [S256CodeChallenge(required=True), LatchkeyOpenIDCode(), RefuseUnsupportedRequests()],
    )
    authorization.register_grant(PasswordlessOtpGrant)
    authorization.register_grant(RefreshTokenGrant, [LatchkeyOpenIDToken()])
    authorization.register_grant(ManagementTokenGrant)
    authorization.register_extension(LatchkeyIssuer())
    resource_protector = BearerResourceProtector()
    resource_protector.register_token_validator(AccessTokenValidator())
    authorization.register_endpoint(LatchkeyUserInfo(resource_protector=resource_protector))
    authorization.register_endpoint(LatchkeyEndSession)
    authorization.register_endpoint(TokenRevocation)
    return authorization


def init_app(app) -> None:
    """Build this app's authorization server and keep it in `app.extensions`."""
    ttl = app.config["ACCESS_TOKEN_TTL"]
    app.config.setdefault(
        "OAUTH2_TOKEN_EXPIRES_IN",
        {"authorization_code": ttl, OTP_GRANT_TYPE: ttl, "refresh_token": ttl},
    )
    app.config.setdefault("OAUTH2_REFRESH_TOKEN_GENERATOR", True)
    app.config.setdefault("OAUTH2_ACCESS_TOKEN_GENERATOR", new_access_token)
    app.extensions[EXTENSION_KEY] = build_server(app)
    # A blocked user, or one signed out everywhere, keeps no refresh or access token.
    signals.signed_out_everywhere.connect(revoke_for_user)


def server() -> LatchkeyAuthorizationServer:
    """The current app's authorization server."""
    return current_app.extensions[EXTENSION_KEY]


def with_issuer(location: str) -> str:
    """Add `iss` to an authorization error redirect (RFC 9207)."""
    return add_params_to_uri(location, {"iss": issuer()})


def error_redirect(error: OAuth2Error):
    """A protocol error as a redirect to the verified callback, with `iss` (RFC 9207);
    None when the callback could not be verified (the caller shows a page instead)."""
    if not error.redirect_uri:
        return None
    response = server().handle_error_response(None, error)
    response.headers["Location"] = with_issuer(response.headers["Location"])
    return response_modes.as_page(response, getattr(error, "delivery", None))


def access_denied(params: dict, description: str):
    """An `access_denied` error to the verified callback of a stored authorize request
    (state and iss included); None when its app or callback cannot be verified."""
    query = query_client(params.get("client_id"))
    redirect_uri = params.get("redirect_uri")
    if query is None or not redirect_uri or not redirect_uri_matches(query.row, redirect_uri):
        return None
    error = AccessDeniedError(
        description=printable(description, 200) or None,
        redirect_uri=redirect_uri,
        state=params.get("state"),
    )
    return error_redirect(error)


def answer_authorize(end_user):
    """Validate the current /authorize request. With a signed-in `end_user` that needs
    no fresh login, answer it at once (a redirect to the callback); otherwise return
    None and the caller shows the login page. `prompt=none` without a user raises
    login_required (an OAuth2Error)."""
    grant = server().get_consent_grant(end_user=end_user)
    if end_user is None or grant.prompt == "login":
        return grant, None
    response = server().create_authorization_response(grant_user=end_user, grant=grant)
    events.record("login.session", client_id=grant.client.get_client_id(), user_id=end_user.user.id)
    db.session.commit()
    return grant, response


def complete_authorization(sign_in, params: dict | None = None):
    """Finish an authorize request: the one stored on the ticket, or `params`
    (already validated). Redirects to the callback.

    Raises OAuth2Error when the request is no longer valid (see error_redirect)."""
    stored = StoredAuthorizeRequest(
        params if params is not None else sign_in.ticket.authorize_params
    )
    grant = server().get_consent_grant(request=stored, end_user=sign_in)
    return server().create_authorization_response(request=stored, grant_user=sign_in, grant=grant)


def refusal(grant, error: str, description: str) -> OAuth2Error:
    """An error for a validated authorize request, sent back to its callback (with its
    state), e.g. a refused login ticket (Auth0's access_denied)."""
    return OAuth2Error(
        description=description,
        error=error,
        state=grant.request.payload.state,
        redirect_uri=grant.redirect_uri,
    )


def stored_request_problem(params: dict) -> str | None:
    """Why an authorize request kept for later (an API link's authParams) could not be
    completed, or None when it can."""
    try:
        server().get_consent_grant(request=StoredAuthorizeRequest(params), end_user=None)
    except OAuth2Error as error:
        return error.description or error.error
    except ValueError:  # Authlib refuses to build an error around some hostile values
        return "The request is garbled."
    return None


def initiate_login_url(uri: str, login_hint: str | None = None) -> str:
    """OIDC third-party-initiated login (Core §4): ask the app to start a flow here."""
    params = {"iss": issuer()}
    if login_hint:
        params["login_hint"] = login_hint
    return add_params_to_uri(uri, params)
