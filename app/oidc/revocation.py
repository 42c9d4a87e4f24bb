"""POST /oauth/revoke (RFC 7009): a client ends one of its refresh or access tokens."""

from __future__ import annotations

from authlib.oauth2.rfc7009 import RevocationEndpoint

from . import refresh, strict, tokens


class TokenRevocation(RevocationEndpoint):
    """Authlib's endpoint; a refresh token ends with its whole family, an access token
    alone. An unknown token is answered 200 like a revoked one (RFC 7009 §2.2)."""

    CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]

    def create_endpoint_response(self, request):
        strict.check_body_parameters(request)
        strict.check_one_client_authentication(request)
        return super().create_endpoint_response(request)

    def query_token(self, token_string, token_type_hint):
        refresh_row = refresh.find(token_string)
        access_row = tokens.find(token_string)
        found = [
            refresh.StoredRefreshToken(refresh_row) if refresh_row else None,
            tokens.StoredToken(access_row) if access_row else None,
        ]
        if token_type_hint == "access_token":
            found.reverse()
        return next((token for token in found if token is not None), None)

    def revoke_token(self, token, request):
        token.revoke()
