"""Auth0's own Python SDK (auth0-python) against a live Latchkey over HTTPS.

The SDK always speaks https:// to `domain`, so the live server serves a
self-signed certificate for 127.0.0.1 and requests trusts it through
REQUESTS_CA_BUNDLE. ID tokens are checked with the SDK's own TokenVerifier
against the published JWKS.
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from auth0.authentication import GetToken, Passwordless
from auth0.authentication.exceptions import Auth0Error
from auth0.authentication.token_verifier import AsymmetricSignatureVerifier, TokenVerifier
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from helpers import messages_to, query_of, wrong_code_for
from test_oidc_client import Browser
from tls import https_live_server

from app.accounts.clients import create_client

EMAIL = "sam@example.com"
PHONE = "+14155552671"


@pytest.fixture
def server(live_server, tmp_path, monkeypatch):
    return https_live_server(live_server, tmp_path, monkeypatch)


def register(server, client_type: str = "regular", callback: str = "https://app.example/cb"):
    with server.app.app_context():
        client, secret = create_client(
            "SDK App", [callback], client_type=client_type, connections=("email", "sms")
        )
        return client.client_id, secret


def domain(server) -> str:
    return server.url.removeprefix("https://")


def verify_id_token(server, client_id: str, id_token: str, **checks) -> dict:
    signature = AsymmetricSignatureVerifier(f"{server.url}/.well-known/jwks.json")
    verifier = TokenVerifier(signature, issuer=server.url, audience=client_id)
    return verifier.verify(id_token, **checks)


def test_email_code_then_passwordless_login(server):
    client_id, secret = register(server)
    started = Passwordless(domain(server), client_id, client_secret=secret).email(
        EMAIL, send="code"
    )
    assert started["email"] == EMAIL and started["email_verified"] is False
    code = messages_to(server.app, EMAIL)[-1].code

    tokens = GetToken(domain(server), client_id, client_secret=secret).passwordless_login(
        username=EMAIL, otp=code, realm="email", scope="openid email", audience=server.url
    )
    claims = verify_id_token(server, client_id, tokens["id_token"])
    assert claims["email"] == EMAIL and claims["email_verified"] is True
    assert tokens["token_type"].lower() == "bearer" and tokens["access_token"]


def test_email_link_with_auth_params(server):
    client_id, secret = register(server)
    auth_params = {"scope": "openid email", "state": "from-sdk"}
    started = Passwordless(domain(server), client_id, client_secret=secret).email(
        EMAIL, auth_params=auth_params
    )  # the SDK's default: send=link
    assert started["email"] == EMAIL
    message = messages_to(server.app, EMAIL)[-1]
    assert message.link.startswith(f"{server.url}/login/link/")


def test_sms_code_then_passwordless_login_for_a_native_app(server):
    client_id, _ = register(server, "native", "com.example.app:/cb")
    started = Passwordless(domain(server), client_id).sms(PHONE)
    assert started["phone_number"] == PHONE and started["phone_verified"] is False
    code = messages_to(server.app, PHONE)[-1].code

    tokens = GetToken(domain(server), client_id).passwordless_login(
        username=PHONE, otp=code, realm="sms", scope="openid phone", audience=server.url
    )
    claims = verify_id_token(server, client_id, tokens["id_token"])
    assert claims["phone_number"] == PHONE and claims["phone_number_verified"] is True


def test_a_wrong_code_raises_auth0_error_invalid_grant(server):
    client_id, secret = register(server)
    Passwordless(domain(server), client_id, client_secret=secret).email(EMAIL, send="code")
    code = messages_to(server.app, EMAIL)[-1].code
    with pytest.raises(Auth0Error) as raised:
        GetToken(domain(server), client_id, client_secret=secret).passwordless_login(
            username=EMAIL,
            otp=wrong_code_for(code),
            realm="email",
            scope="openid",
            audience=server.url,
        )
    assert raised.value.status_code == 403
    assert raised.value.error_code == "invalid_grant"
    assert raised.value.message == "Wrong email or verification code."


def test_a_bad_start_raises_auth0_error_with_auth0s_code(server):
    client_id, secret = register(server)
    with pytest.raises(Auth0Error) as raised:
        Passwordless(domain(server), client_id, client_secret=secret).email("no-at-sign")
    assert raised.value.status_code == 400 and raised.value.error_code == "bad.email"


def hosted_sign_in_then_pkce(server, scope: str = "openid email") -> tuple[str, dict]:
    """A SPA's hosted sign-in in a browser, then the SDK's authorization_code_pkce()."""
    callback = "https://spa.example/cb"
    client_id, _ = register(server, "spa", callback)
    verifier = "v" * 64
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": callback,
        "scope": scope,
        "state": "s1",
        "code_challenge": create_s256_code_challenge(verifier),
        "code_challenge_method": "S256",
    }
    browser = Browser(server.url)  # trusts the certificate through REQUESTS_CA_BUNDLE
    try:
        callback_url = browser.sign_in(
            f"{server.url}/authorize?{urlencode(params)}", EMAIL, server.app
        )
    finally:
        browser.close()
    code = query_of(callback_url)["code"]
    tokens = GetToken(domain(server), client_id).authorization_code_pkce(
        code_verifier=verifier, code=code, redirect_uri=callback
    )
    return client_id, tokens


def test_authorization_code_pkce_after_a_hosted_sign_in(server):
    client_id, tokens = hosted_sign_in_then_pkce(server)
    claims = verify_id_token(server, client_id, tokens["id_token"])
    assert claims["email"] == EMAIL
    assert "refresh_token" not in tokens  # no offline_access asked


def test_refresh_token_rotates_and_a_reused_one_ends_the_family(server):
    client_id, tokens = hosted_sign_in_then_pkce(server, "openid email offline_access")
    sdk = GetToken(domain(server), client_id)
    first = tokens["refresh_token"]

    rotated = sdk.refresh_token(first)
    second = rotated["refresh_token"]
    assert second != first and rotated["access_token"] != tokens["access_token"]
    signed_in = verify_id_token(server, client_id, tokens["id_token"])
    # max_age makes the SDK require auth_time, the sign-in's (OIDC Core §12.2)
    refreshed = verify_id_token(server, client_id, rotated["id_token"], max_age=3600)
    assert (refreshed["auth_time"], refreshed["amr"]) == (signed_in["auth_time"], ["otp"])
    assert signed_in["amr"] == ["otp"] and refreshed["sub"] == signed_in["sub"]

    with pytest.raises(Auth0Error) as reused:
        sdk.refresh_token(first)
    assert reused.value.error_code == "invalid_grant"
    with pytest.raises(Auth0Error) as ended:
        sdk.refresh_token(second)  # the reuse revoked the whole family
    assert ended.value.error_code == "invalid_grant"
