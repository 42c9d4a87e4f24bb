"""How /userinfo finds its access token (RFC 6750): in the Authorization header or,
on a POST, in an application/x-www-form-urlencoded body (§2.2); never both, never in
the URL. Without any credentials the 401 names no error (§3.1)."""

from __future__ import annotations

from authlib.integrations.flask_oauth2 import ResourceProtector
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import InvalidRequestError
from authlib.oauth2.rfc6750 import InvalidTokenError

from .server import IssuerURLRequest, issuer

FORM_TYPE = "application/x-www-form-urlencoded"


class NoCredentialsError(OAuth2Error):
    """No access token at all: 401 with a bare challenge, no error code."""

    status_code = 401
    description = "Send an access token: 'Authorization: Bearer' or an access_token form field."

    def get_body(self):
        return [("error_description", self.description)]

    def get_headers(self):
        return [*super().get_headers(), ("WWW-Authenticate", f'Bearer realm="{issuer()}"')]


def _form_tokens(request) -> list[str]:
    content_type = request.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if request.method != "POST" or content_type != FORM_TYPE:
        return []
    return request.form.getlist("access_token")


def token_of_request(request) -> str | None:
    """The access token a /userinfo request (Flask's or an OAuth2Request) carries,
    wherever it is; None if none."""
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    tokens = _form_tokens(request)
    return tokens[0] if len(tokens) == 1 else None


class BearerResourceProtector(ResourceProtector):
    def parse_request_authorization(self, request):
        header = request.headers.get("Authorization")
        form_tokens = _form_tokens(request)
        if "access_token" in request.args:
            raise InvalidRequestError(
                "Send the access token in the Authorization header or a form body, not in the URL."
            )
        if header and form_tokens or len(form_tokens) > 1:
            raise InvalidRequestError("Send the access token one way only.")
        if form_tokens:
            return self.get_token_validator("bearer"), form_tokens[0]
        scheme, _, token = (header or "").strip().partition(" ")
        if scheme.lower() != "bearer":
            raise NoCredentialsError()
        if not token.strip():
            raise InvalidRequestError("The Authorization header holds no token.")
        return self.get_token_validator("bearer"), token.strip()

    def validate_request(self, scopes, request, **kwargs):
        """As Authlib's, on the request with its form and query (Authlib's Flask
        integration hands over a JSON view of it)."""
        request = IssuerURLRequest()
        try:
            return super().validate_request(scopes, request, **kwargs)
        except InvalidTokenError as error:
            error.realm = issuer()
            raise
