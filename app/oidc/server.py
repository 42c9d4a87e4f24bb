"""Authlib's authorization server, addressed by the issuer URL; requests it reads."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.integrations.flask_oauth2.requests import FlaskOAuth2Payload
from authlib.oauth2 import OAuth2Error, OAuth2Request
from authlib.oauth2.rfc6749 import (
    InvalidClientError,
    UnsupportedResponseTypeError,
)
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from flask import current_app
from flask import request as flask_request

from .. import config
from . import response_modes, strict
from .json_body import JsonBodyPayload, json_parameters


def issuer() -> str:
    """The issuer exactly as the operator wrote it (a trailing slash included)."""
    return current_app.config["ISSUER"]


def base_url() -> str:
    """What this server's URLs start with: the issuer without a trailing slash."""
    return config.base_url(current_app.config)


class RequestPayload(FlaskOAuth2Payload):
    """Authlib's payload of a Flask request, its parameters read once: Werkzeug builds
    `request.values` afresh at each read, and Authlib reads it for every parameter."""

    @cached_property
    def data(self):
        return self._request.values


class IssuerURLRequest(OAuth2Request):
    """The current Flask request, addressed by the issuer URL (a proxy may speak http)."""

    def __init__(self):
        uri = base_url() + flask_request.full_path.rstrip("?")
        super().__init__(flask_request.method, uri, headers=flask_request.headers)
        self.json_parameters = json_parameters(flask_request)
        if self.json_parameters is None:
            self.payload = RequestPayload(flask_request)
        else:
            self.payload = JsonBodyPayload(flask_request.args, self.json_parameters)
        # Who asks, for the audit log and the failed-code limits of the OTP grant.
        self.remote_addr = flask_request.remote_addr
        self.user_agent = flask_request.user_agent.string

    @property
    def args(self):
        return flask_request.args

    @property
    def form(self):
        """The body's parameters: a form, or a JSON object's (Auth0's SDKs post JSON)."""
        if self.json_parameters is not None:
            return self.json_parameters
        return flask_request.form


class StoredAuthorizeRequest(OAuth2Request):
    """An authorize request kept on a login ticket, replayed once the user signed in."""

    def __init__(self, params: dict[str, Any]):
        super().__init__("GET", base_url() + "/authorize", headers={})
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

    def get_consent_grant(self, request=None, end_user=None):
        """As Authlib's; an error keeps how its request wanted the answer (response_mode)."""
        request = self.create_oauth2_request(request)
        try:
            return super().get_consent_grant(request=request, end_user=end_user)
        except OAuth2Error as error:
            client = self.query_client(request.payload.client_id)
            error.delivery = response_modes.delivery_for(client, request.payload.data)
            raise

    def create_authorization_response(self, request=None, grant_user=None, grant=None):
        """As Authlib's, delivered in the request's response_mode (see response_modes)."""
        response = super().create_authorization_response(request, grant_user, grant)
        asked = grant.request if grant is not None else self.create_oauth2_request(request)
        client = self.query_client(asked.payload.client_id)
        return response_modes.as_page(
            response, response_modes.delivery_for(client, asked.payload.data)
        )

    def authenticate_client(self, request, methods, endpoint="token"):
        """As Authlib's, but an undecodable Basic header is a bad client, not a crash."""
        try:
            return super().authenticate_client(request, methods, endpoint)
        except (ValueError, UnicodeDecodeError):
            raise InvalidClientError(
                description="Unreadable client credentials.", status_code=401
            ) from None

    def create_token_response(self, request=None):
        """As Authlib's, after the checks Authlib leaves out (see strict)."""
        request = self.create_oauth2_request(request)
        try:
            strict.check_token_request(request)
        except OAuth2Error as error:
            return self.handle_error_response(request, error)
        return super().create_token_response(request)

    def handle_error_response(self, request, error):
        """Every error says what went wrong (error_description)."""
        return super().handle_error_response(request, strict.describe(error))

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
            strict.printable(request.payload.response_type), redirect_uri=redirect_uri
        )
