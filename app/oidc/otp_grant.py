"""Auth0's passwordless OTP grant: an app trades the code its user typed for tokens.

    grant_type=http://auth0.com/oauth/grant-type/passwordless/otp
    username=<email or +E.164>  otp=<code>  realm=email|sms  scope=...  audience=...

The code is the one `POST /passwordless/start` sent for the same app (an API
ticket: bound to that app, not to a browser); the tickets' rules decide (tries
cap, expiry, per-identifier delays, blocked users). Errors are Auth0's.
"""

from __future__ import annotations

from dataclasses import replace

from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import InvalidRequestError, UnauthorizedClientError, grants
from authlib.oidc.core.grants.util import generate_id_token
from flask import current_app

from app.signin import api_tickets, hooks, throttle, tickets

from ..extensions import db
from . import keys
from .grants import user_claims
from .params import OTP_GRANT_TYPE
from .server import issuer

REALMS = ("email", "sms")
HOOK_FAILED = "A check that runs after sign-in failed. Please try to login again."
STEP_UP = "This sign-in needs a second code on another channel: use the hosted login page."


class OtpError(OAuth2Error):
    """An Auth0-style token error (403 by default, as Auth0 answers a wrong code)."""

    def __init__(self, error: str, description: str, status_code: int = 403, retry_after=0):
        super().__init__(status_code=status_code, error=error)
        self.description = description  # JSON carries a hook's message, whatever its letters
        self.retry_after = retry_after

    def get_headers(self):
        headers = super().get_headers()
        if self.retry_after:
            headers.append(("Retry-After", str(self.retry_after)))
        return headers


class PasswordlessOtpGrant(grants.BaseGrant, grants.TokenEndpointMixin):
    GRANT_TYPE = OTP_GRANT_TYPE
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]

    def validate_token_request(self):
        client = self.authenticate_token_endpoint_client()
        if not client.check_grant_type(self.GRANT_TYPE):
            raise UnauthorizedClientError("This app may not use the passwordless OTP grant.")
        data = self.request.payload.data
        for name in ("username", "otp", "realm"):
            if not data.get(name):
                raise InvalidRequestError(f"Missing required parameter: {name}")
        if data["realm"] not in REALMS:
            raise InvalidRequestError("realm must be 'email' or 'sms'.")
        self.request.client = client
        self.validate_requested_scope()

    def create_token_response(self):
        data = self.request.payload.data
        realm = data["realm"]
        requester = tickets.Requester(
            ip=getattr(self.request, "remote_addr", None),
            user_agent=getattr(self.request, "user_agent", None),
        )
        try:
            sign_in = api_tickets.verify_otp(
                self.client.row, realm, data["username"][:400], data["otp"], requester
            )
        except throttle.Throttled as throttled:
            raise OtpError(
                "too_many_requests",
                "Too many attempts. Please wait and try again.",
                429,
                throttled.retry_after,
            ) from None
        except tickets.LoginError as failure:
            raise _auth0_error(failure, realm) from None
        sign_in = self._after_login(sign_in, realm)
        user = sign_in.user
        scope = self.client.get_allowed_scope(data.get("scope") or "openid")
        token = self.generate_token(user=user, scope=scope, include_refresh_token=False)
        if "openid" in scope.split():
            token["id_token"] = _id_token(token, sign_in, self.client.get_client_id(), scope)
        self.request.user = user
        self.request.hook_claims = sign_in.claims
        self.save_token(token)
        db.session.commit()
        return 200, token, self.TOKEN_RESPONSE_HEADER

    def _after_login(self, sign_in: tickets.SignIn, realm: str) -> tickets.SignIn:
        """The post-login hooks: a denial, a failed hook or a step-up (which this grant
        cannot ask for) is Auth0's `access_denied` (403); else the hooks' claims."""
        data = self.request.payload.data
        verdict = hooks.run(
            sign_in,
            client=self.client.row,
            connection=realm,
            origin=hooks.Origin(
                getattr(self.request, "remote_addr", None), hooks.country_hint(self.request.headers)
            ),
            authorize_params={k: data[k] for k in ("scope", "audience") if data.get(k)},
        )
        if verdict.failed:
            raise OtpError("access_denied", HOOK_FAILED)
        if verdict.denied is not None:
            raise OtpError("access_denied", verdict.denied)
        if verdict.step_up:
            raise OtpError("access_denied", STEP_UP)
        return replace(sign_in, claims=verdict.claims)


def _auth0_error(failure: tickets.LoginError, realm: str) -> OtpError:
    refused = api_tickets.otp_refusal(failure, realm)
    return OtpError(refused.error, refused.description, refused.status)


def _id_token(token: dict, sign_in: tickets.SignIn, client_id: str, scope: str) -> str:
    key = keys.current()
    return generate_id_token(
        token,
        {**sign_in.claims, **user_claims(sign_in.user, scope)},
        keys.private_jwk(key),
        iss=issuer(),
        aud=client_id,
        exp=current_app.config["ID_TOKEN_TTL"],
        auth_time=sign_in.auth_time,
        amr=sign_in.amr,
        kid=key.kid,
    )
