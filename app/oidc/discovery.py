"""The OpenID Provider metadata document."""

from __future__ import annotations

from typing import Any

from ..i18n import LANGUAGES
from .params import GRANT_TYPES_SUPPORTED, RESPONSE_MODES_SUPPORTED, SCOPES_SUPPORTED
from .server import issuer


def discovery_document() -> dict[str, Any]:
    base = issuer()
    return {
        "issuer": base,
        "authorization_endpoint": f"{base}/authorize",
        "token_endpoint": f"{base}/oauth/token",
        "userinfo_endpoint": f"{base}/userinfo",
        "jwks_uri": f"{base}/.well-known/jwks.json",
        "end_session_endpoint": f"{base}/logout",
        "revocation_endpoint": f"{base}/oauth/revoke",
        "scopes_supported": SCOPES_SUPPORTED,
        "response_types_supported": ["code"],
        "response_modes_supported": list(RESPONSE_MODES_SUPPORTED),
        "grant_types_supported": list(GRANT_TYPES_SUPPORTED),
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
            "none",
        ],
        "revocation_endpoint_auth_methods_supported": [
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
            "identities",
        ],
        "prompt_values_supported": ["none", "login"],
        "ui_locales_supported": [code.replace("_", "-") for code in LANGUAGES],
        "authorization_response_iss_parameter_supported": True,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
    }
