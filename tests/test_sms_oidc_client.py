"""Sign in by SMS over real HTTP, driven by Authlib's OAuth2 client like a relying app;
the code travels through a loopback SMS gateway and the dispatcher's own thread."""

from __future__ import annotations

import secrets

import requests
from authlib.integrations.requests_client import OAuth2Session
from helpers import form_posting_to, query_of, visible_text
from test_oidc_client import verify_id_token

from app.accounts.clients import create_client

TIMEOUT = 10
PHONE = "+447400123456"
CALLBACK = "https://app.example/cb"


def test_a_relying_app_signs_a_person_in_by_sms(live_server, gateway):
    server = live_server(**gateway.config(DISPATCHER_THREAD=True))
    with server.app.app_context():
        client, secret = create_client("Phone app", [CALLBACK], connections=["email", "sms"])
        client_id = client.client_id
    discovery = requests.get(f"{server.url}/.well-known/openid-configuration", timeout=TIMEOUT)
    discovery = discovery.json()
    session = OAuth2Session(
        client_id,
        secret,
        scope="openid phone",
        redirect_uri=CALLBACK,
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic",
    )
    verifier, nonce = secrets.token_urlsafe(48), secrets.token_urlsafe(16)
    authorization_url, state = session.create_authorization_url(
        discovery["authorization_endpoint"],
        code_verifier=verifier,
        nonce=nonce,
        connection="sms",
        login_hint=PHONE,
    )

    browser = requests.Session()
    try:
        opened = browser.get(authorization_url, allow_redirects=False, timeout=TIMEOUT)
        assert opened.status_code == 200, visible_text(opened.text)
        form = form_posting_to(opened.text, "/login/start/sms")
        assert form.fields["phone_number"] == PHONE  # login_hint pre-fills
        started = browser.post(
            server.url + form.action,
            data={**form.fields, "country": "US"},  # E.164 wins over the picked country
            allow_redirects=False,
            timeout=TIMEOUT,
        )
        assert started.status_code == 303, visible_text(started.text)
        code_page = browser.get(server.url + started.headers["Location"], timeout=TIMEOUT)
        assert "+44 7400 123456" in visible_text(code_page.text)

        sms = gateway.wait_for(1)  # sent by the dispatcher thread
        assert sms.body["recipient"] == PHONE
        code_form = form_posting_to(code_page.text, "/login/code/")
        done = browser.post(
            server.url + code_form.action,
            data={**code_form.fields, "code": sms.code},
            allow_redirects=False,
            timeout=TIMEOUT,
        )
        assert done.status_code == 302, visible_text(done.text)
    finally:
        browser.close()

    callback_url = done.headers["Location"]
    assert query_of(callback_url)["state"] == state
    token = session.fetch_token(
        discovery["token_endpoint"], authorization_response=callback_url, code_verifier=verifier
    )
    claims = verify_id_token(discovery, token["id_token"], client_id, nonce).claims
    assert claims["phone_number"] == PHONE
    assert claims["phone_number_verified"] is True
    assert claims["amr"] == ["otp", "sms"]
    assert "email" not in claims

    info = session.get(discovery["userinfo_endpoint"], timeout=TIMEOUT).json()
    assert info["phone_number"] == PHONE and info["sub"] == claims["sub"]
