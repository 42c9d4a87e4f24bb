"""What this server refuses that Authlib lets through, and the words of its errors.

- The token and revocation endpoints: a missing grant_type is invalid_request
  (RFC 6749 §5.2); no parameter may be sent twice (§3.1, §3.2); a client uses one
  authentication method per request (§2.3).
- The authorize endpoint: request objects (`request`, `request_uri`) are refused
  (OIDC Core §6), as is a response_mode not in RESPONSE_MODES_SUPPORTED.
- Every error carries an error_description.
"""

from __future__ import annotations

from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import InvalidRequestError
from authlib.oauth2.rfc6749.util import extract_basic_authorization
from authlib.oidc.core.errors import RequestNotSupportedError, RequestURINotSupportedError

from .params import RESPONSE_MODES_SUPPORTED

DESCRIPTIONS = {
    "invalid_request": "The request is missing a parameter or is malformed.",
    "invalid_client": "Client authentication failed.",
    "invalid_grant": "The code or refresh token is not valid, has expired or was revoked.",
    "unauthorized_client": "This client may not use this grant type.",
    "unsupported_grant_type": "This grant type is not supported.",
    "invalid_scope": "The requested scope is not valid or exceeds the granted scope.",
    "unsupported_token_type": "This token type is not supported.",
    "insufficient_scope": "The access token does not grant the scope this needs.",
    "access_denied": "The request was denied.",
}


def describe(error: OAuth2Error) -> OAuth2Error:
    """Give an error without a description the standard one for its code."""
    if not error.description:
        error.description = DESCRIPTIONS.get(error.error, "The request was refused.")
    return error


def printable(value: str | None, limit: int = 40) -> str:
    """A hostile value, cut down to what an error description may quote."""
    return "".join(ch for ch in (value or "") if " " <= ch <= "~" and ch not in "\"\\'")[:limit]


def check_token_request(request) -> None:
    """Refuse a token request Authlib would misread."""
    if not request.payload.data.get("grant_type"):
        raise InvalidRequestError("Missing 'grant_type' in request.")
    check_body_parameters(request)
    check_one_client_authentication(request)


def check_body_parameters(request) -> None:
    """No parameter twice, whether in the body, the query or both (RFC 6749 §3.2)."""
    for name, values in request.payload.datalist.items():
        if len(values) > 1:
            raise InvalidRequestError(f"Parameter '{printable(name)}' was sent more than once.")


def check_one_client_authentication(request) -> None:
    """HTTP Basic or client_secret in the body, never both (RFC 6749 §2.3); a client_id
    in the body next to Basic must name the same client."""
    if not request.headers.get("Authorization"):
        return
    data = request.payload.data
    if data.get("client_secret"):
        raise InvalidRequestError(
            "Use one client authentication method: HTTP Basic or client_secret, not both."
        )
    try:
        basic_id, _ = extract_basic_authorization(request.headers)
    except (ValueError, UnicodeDecodeError):
        return  # client authentication answers it as invalid_client
    if basic_id and data.get("client_id") and data.get("client_id") != basic_id:
        raise InvalidRequestError("The client_id in the body differs from the one in Basic.")


class RefuseUnsupportedRequests:
    """An authorization grant extension: refuse request objects and response modes this
    server cannot honour, as errors sent to the verified callback."""

    def __call__(self, grant) -> None:
        grant.register_hook("after_validate_authorization_request_payload", self.check)

    @staticmethod
    def check(grant, redirect_uri) -> None:
        data = grant.request.payload.data
        if data.get("request") is not None:
            raise RequestNotSupportedError("Request objects ('request') are not supported.")
        if data.get("request_uri") is not None:
            raise RequestURINotSupportedError("'request_uri' is not supported.")
        mode = data.get("response_mode")
        if mode is not None and mode not in RESPONSE_MODES_SUPPORTED:
            supported = ", ".join(RESPONSE_MODES_SUPPORTED)
            raise InvalidRequestError(
                f"response_mode '{printable(mode)}' is not supported; use: {supported}."
            )
