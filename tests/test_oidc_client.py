"""The full flow over real HTTP, driven by Authlib's OAuth2 client like a relying app would.

A `requests.Session` plays the browser (it keeps the binding and session cookies);
Authlib's `OAuth2Session` plays the app (PKCE S256, state, nonce); the ID token is
verified with joserfc against the published JWKS.
"""

from __future__ import annotations

import secrets
import time

import pytest
import requests
from authlib.integrations.base_client import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from helpers import form_posting_to, messages_to, query_of, visible_text
from joserfc import jwt
from joserfc.jwk import KeySet

from app.accounts.clients import create_client
from app.accounts.demo import ensure_demo_client

EMAIL = "robin@example.com"
TIMEOUT = 10


class Browser:
    """A person's browser talking to the live server over HTTP."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.http = requests.Session()

    def close(self) -> None:
        self.http.close()

    def sign_in(self, authorization_url: str, email: str, app) -> str:
        """Follow the app's link, type the email and the mailed code; return the callback
        URL the browser is sent to."""
        opened = self.http.get(authorization_url, allow_redirects=False, timeout=TIMEOUT)
        assert opened.status_code == 200, visible_text(opened.text)
        form = form_posting_to(opened.text, "/login/start")
        assert form.fields["csrf_token"] and form.fields["authz"]

        started = self.http.post(
            self.base_url + form.action,
            data={**form.fields, "email": email},
            allow_redirects=False,
            timeout=TIMEOUT,
        )
        assert started.status_code == 303, visible_text(started.text)
        code_url = self.base_url + started.headers["Location"]
        code_page = self.http.get(code_url, allow_redirects=False, timeout=TIMEOUT)
        assert code_page.status_code == 200, visible_text(code_page.text)
        code_form = form_posting_to(code_page.text, "/login/code/")

        code = messages_to(app, email)[-1].code  # read from the live app's database
        done = self.http.post(
            self.base_url + code_form.action,
            data={**code_form.fields, "code": code},
            allow_redirects=False,
            timeout=TIMEOUT,
        )
        assert done.status_code == 302, visible_text(done.text)
        return done.headers["Location"]


@pytest.fixture
def server(live_server):
    return live_server()


@pytest.fixture
def browser(server):
    person = Browser(server.url)
    yield person
    person.close()


@pytest.fixture
def discovery(server) -> dict:
    response = requests.get(server.url + "/.well-known/openid-configuration", timeout=TIMEOUT)
    assert response.status_code == 200
    return response.json()


def register(server, client_type: str, callback: str) -> tuple[str, str | None]:
    with server.app.app_context():
        client, secret = create_client(f"{client_type} app", [callback], client_type=client_type)
        return client.client_id, secret


def verify_id_token(discovery: dict, id_token: str, client_id: str, nonce: str | None) -> jwt.Token:
    """What a careful relying app checks before trusting an ID token (a refreshed one
    has no nonce: `nonce=None`)."""
    published = requests.get(discovery["jwks_uri"], timeout=TIMEOUT).json()
    keys = KeySet.import_key_set(published)
    token = jwt.decode(id_token, keys, algorithms=["RS256"])
    assert token.header["alg"] == "RS256"
    assert token.header["kid"] in {key["kid"] for key in published["keys"]}
    jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": discovery["issuer"]},
        aud={"essential": True, "value": client_id},
        sub={"essential": True},
        exp={"essential": True},
        iat={"essential": True},
        **({"nonce": {"essential": True, "value": nonce}} if nonce is not None else {}),
    ).validate(token.claims)
    return token


def run_flow(discovery: dict, browser: Browser, app, session: OAuth2Session, callback: str):
    """The relying app's side of a sign-in, end to end; returns (callback URL, token, nonce)."""
    verifier = secrets.token_urlsafe(48)
    nonce = secrets.token_urlsafe(16)
    authorization_url, state = session.create_authorization_url(
        discovery["authorization_endpoint"], code_verifier=verifier, nonce=nonce
    )
    assert query_of(authorization_url)["code_challenge"] == create_s256_code_challenge(verifier)
    assert query_of(authorization_url)["code_challenge_method"] == "S256"

    callback_url = browser.sign_in(authorization_url, EMAIL, app)

    assert callback_url.startswith(callback + "?")
    assert query_of(callback_url)["state"] == state
    token = session.fetch_token(
        discovery["token_endpoint"],
        authorization_response=callback_url,
        code_verifier=verifier,
    )
    return callback_url, token, nonce


def assert_signed_in_as_robin(discovery, session, token, client_id, nonce, started_at) -> None:
    id_token = verify_id_token(discovery, token["id_token"], client_id, nonce)
    claims = id_token.claims
    now = time.time()
    assert claims["iss"] == discovery["issuer"]
    assert claims["aud"] == client_id
    assert claims["nonce"] == nonce
    assert started_at - 5 <= claims["iat"] <= now + 5
    assert claims["exp"] > now
    assert started_at - 5 <= claims["auth_time"] <= now + 5
    assert claims["amr"] == ["otp"]
    assert claims["email"] == EMAIL
    assert claims["email_verified"] is True
    assert claims["sub"]

    info = session.get(discovery["userinfo_endpoint"], timeout=TIMEOUT)
    assert info.status_code == 200
    assert info.json()["sub"] == claims["sub"]
    assert info.json()["email"] == EMAIL
    assert info.json()["email_verified"] is True


def test_discovery_points_at_the_live_server(server, discovery):
    assert discovery["issuer"] == server.url
    for key in ("authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri"):
        assert discovery[key].startswith(server.url + "/")
    assert "S256" in discovery["code_challenge_methods_supported"]


def test_confidential_app_signs_in_with_client_secret_basic(server, browser, discovery):
    callback = "https://app.example/cb"
    client_id, secret = register(server, "regular", callback)
    session = OAuth2Session(
        client_id,
        secret,
        scope="openid email",
        redirect_uri=callback,
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic",
    )
    started_at = time.time()

    callback_url, token, nonce = run_flow(discovery, browser, server.app, session, callback)

    assert query_of(callback_url)["iss"] == server.url  # RFC 9207
    assert token["token_type"].lower() == "bearer"
    assert_signed_in_as_robin(discovery, session, token, client_id, nonce, started_at)
    session.close()


def test_public_spa_signs_in_with_pkce_and_no_secret(server, browser, discovery):
    callback = "https://spa.example/cb"
    client_id, secret = register(server, "spa", callback)
    assert secret is None
    session = OAuth2Session(
        client_id,
        scope="openid email",
        redirect_uri=callback,
        code_challenge_method="S256",
        token_endpoint_auth_method="none",
    )
    started_at = time.time()

    callback_url, token, nonce = run_flow(discovery, browser, server.app, session, callback)

    assert query_of(callback_url)["iss"] == server.url
    assert_signed_in_as_robin(discovery, session, token, client_id, nonce, started_at)
    session.close()


def test_replayed_code_is_refused_and_the_first_token_revoked(server, browser, discovery):
    callback = "https://app.example/cb"
    client_id, secret = register(server, "regular", callback)
    session = OAuth2Session(
        client_id, secret, scope="openid email", redirect_uri=callback, code_challenge_method="S256"
    )
    verifier = secrets.token_urlsafe(48)
    authorization_url, _ = session.create_authorization_url(
        discovery["authorization_endpoint"], code_verifier=verifier, nonce="n-0"
    )
    callback_url = browser.sign_in(authorization_url, EMAIL, server.app)
    first = session.fetch_token(
        discovery["token_endpoint"], authorization_response=callback_url, code_verifier=verifier
    )

    with pytest.raises(OAuthError) as replay:
        session.fetch_token(
            discovery["token_endpoint"], authorization_response=callback_url, code_verifier=verifier
        )

    assert replay.value.error == "invalid_grant"
    stolen = requests.get(
        discovery["userinfo_endpoint"],
        headers={"Authorization": f"Bearer {first['access_token']}"},
        timeout=TIMEOUT,
    )
    assert stolen.status_code == 401
    session.close()


def test_the_app_notices_a_forged_state(server, browser, discovery):
    from authlib.oauth2.rfc6749.errors import MismatchingStateException

    callback = "https://app.example/cb"
    client_id, secret = register(server, "regular", callback)
    session = OAuth2Session(
        client_id, secret, scope="openid email", redirect_uri=callback, code_challenge_method="S256"
    )
    verifier = secrets.token_urlsafe(48)
    authorization_url, state = session.create_authorization_url(
        discovery["authorization_endpoint"], code_verifier=verifier, nonce="n-1"
    )
    callback_url = browser.sign_in(authorization_url, EMAIL, server.app)

    with pytest.raises(MismatchingStateException):
        session.fetch_token(
            discovery["token_endpoint"],
            authorization_response=callback_url,
            code_verifier=verifier,
            state=state + "-forged",
        )
    session.close()


def test_authlib_client_refreshes_with_rotation_and_revokes(server, browser, discovery):
    callback = "https://app.example/cb"
    client_id, secret = register(server, "regular", callback)
    session = OAuth2Session(
        client_id,
        secret,
        scope="openid email offline_access",
        redirect_uri=callback,
        code_challenge_method="S256",
    )
    _, first, nonce = run_flow(discovery, browser, server.app, session, callback)
    assert first["refresh_token"]
    signed_in = verify_id_token(discovery, first["id_token"], client_id, nonce).claims

    second = session.refresh_token(discovery["token_endpoint"])

    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    refreshed = verify_id_token(discovery, second["id_token"], client_id, nonce=None).claims
    for same in ("iss", "sub", "aud", "auth_time", "amr"):  # OIDC Core §12.2
        assert refreshed[same] == signed_in[same], same
    assert signed_in["amr"] == ["otp"] and "nonce" not in refreshed
    assert session.get(discovery["userinfo_endpoint"], timeout=TIMEOUT).json()["email"] == EMAIL

    revoked = session.revoke_token(
        discovery["revocation_endpoint"],
        token=second["refresh_token"],
        token_type_hint="refresh_token",
    )
    assert revoked.status_code == 200
    with pytest.raises(OAuthError) as refused:
        session.refresh_token(discovery["token_endpoint"], refresh_token=second["refresh_token"])
    assert refused.value.error == "invalid_grant"
    assert session.get(discovery["userinfo_endpoint"], timeout=TIMEOUT).status_code == 401
    session.close()


@pytest.mark.parametrize("issuer_path", ["", "/"], ids=["no-slash", "trailing-slash"])
def test_authlib_app_signs_in_with_the_issuer_as_written(live_server, issuer_path):
    """The demo app is Authlib's Flask client: it discovers the server from the issuer
    without its slash, and checks the ID token's `iss` against the discovered issuer."""
    server = live_server(issuer_path=issuer_path, DEMO=True)
    with server.app.app_context():
        ensure_demo_client()
    person = Browser(server.url)
    try:
        started = person.http.get(server.url + "/demo/login", allow_redirects=False)
        assert started.status_code == 302
        assert started.headers["Location"].startswith(server.url + "/authorize?")
        callback_url = person.sign_in(started.headers["Location"], EMAIL, server.app)
        assert callback_url.startswith(server.url + "/demo/callback?")
        assert query_of(callback_url)["iss"] == server.issuer

        back = person.http.get(callback_url, allow_redirects=False, timeout=TIMEOUT)
        assert back.status_code == 302 and back.headers["Location"] == "/demo/"
        text = visible_text(person.http.get(server.url + "/demo/", timeout=TIMEOUT).text)
    finally:
        person.close()
    assert f"Signed in as {EMAIL}" in text
    assert f"iss {server.issuer} " in text  # the iss claim, as the app saw it
    discovery = requests.get(server.url + "/.well-known/openid-configuration", timeout=TIMEOUT)
    assert discovery.json()["issuer"] == server.issuer
