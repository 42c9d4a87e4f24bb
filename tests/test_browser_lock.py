"""Auth0's Lock passwordless widget (the real one: auth0-lock from npm, bundled in
static/vendor/) embedded in a page of another loopback origin, in Debian's chromium.

Lock reads the app's settings from /client/<id>.js, sends the code through
/passwordless/start (CORS from the app's registered origin) and signs in through
cross-origin authentication; the app's callback gets a code that its token request
turns into an ID token. A page of an origin the app did not register gets nothing."""

from __future__ import annotations

import base64
import json
import re
import time

import pytest
import requests
from helpers import pkce_pair, query_of
from lock_embedding import AppOrigin

from app.accounts.clients import create_client
from app.accounts.connections import update_connection

EMAIL = "kim@example.com"
CODE = re.compile(r"\b(\d{6})\b")
LAPTOP = {"width": 1280, "height": 800}


@pytest.fixture
def shop():
    with AppOrigin() as origin:
        yield origin


def register(server, origin: AppOrigin) -> str:
    with server.app.app_context():
        client, _ = create_client(
            "Shop",
            [f"{origin.url}/callback"],
            client_type="spa",
            origins=[origin.url],
            connections=["email", "sms"],
        )
        update_connection("sms", allowed_countries=["US", "GB"])
        return client.client_id


def show_lock(page, server, origin: AppOrigin, client_id: str, connection: str) -> dict:
    """Open the app's page with Lock for `connection`; returns the authorize parameters."""
    verifier, challenge = pkce_pair()
    params = {
        "scope": "openid email phone",
        "state": "shop-state-1",
        "nonce": "shop-nonce-1",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    origin.page_settings = {
        "clientID": client_id,
        "issuer": server.url,
        "connection": connection,
        "send": "code",
        "params": params,
    }
    page.goto(origin.url + "/")
    return {**params, "code_verifier": verifier}


def code_from_mail(smtp_server, count: int = 1) -> str:
    deadline = time.monotonic() + 10
    while len(smtp_server.messages) < count:
        assert time.monotonic() < deadline, "no email arrived"
        time.sleep(0.05)
    return CODE.search(smtp_server.messages[count - 1]["Subject"]).group(1)


def submit(page) -> None:
    page.locator("button[name=submit]").click()


def id_token_claims(server, client_id: str, callback_url: str, sent: dict, origin) -> dict:
    """The app's side: its callback's code, exchanged with the PKCE verifier."""
    query = query_of(callback_url)
    assert query["state"] == sent["state"]
    answer = requests.post(
        f"{server.url}/oauth/token",
        data={
            "grant_type": "authorization_code",
            "client_id": client_id,
            "code": query["code"],
            "redirect_uri": f"{origin.url}/callback",
            "code_verifier": sent["code_verifier"],
        },
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    payload = answer.json()["id_token"].split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert claims["iss"] == server.url and claims["aud"] == client_id
    assert claims["nonce"] == sent["nonce"]
    return claims


def test_embedded_lock_signs_in_by_email_code(browser, live_server, smtp_server, shop):
    server = live_server(**smtp_server.mail_config(), DISPATCHER_THREAD=True)
    client_id = register(server, shop)
    context = browser.new_context(viewport=LAPTOP)
    page = context.new_page()
    try:
        sent = show_lock(page, server, shop, client_id, "email")
        page.locator("input[name=email]").fill(EMAIL)
        submit(page)
        page.locator("input[name=vcode]").wait_for()
        assert f"An email with the code has been sent to {EMAIL}." in page.inner_text("body")
        code = code_from_mail(smtp_server)
        assert smtp_server.envelopes[0].rcpt_tos == [EMAIL]
        page.locator("input[name=vcode]").fill(code)
        submit(page)
        page.wait_for_url(f"{shop.url}/callback?*", timeout=15_000)
        claims = id_token_claims(server, client_id, page.url, sent, shop)
        assert claims["email"] == EMAIL and claims["email_verified"] is True
    finally:
        context.close()


def test_embedded_lock_signs_in_by_sms_code(browser, live_server, gateway, shop):
    server = live_server(**gateway.config(DISPATCHER_THREAD=True))
    client_id = register(server, shop)
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        sent = show_lock(page, server, shop, client_id, "sms")
        page.locator("input[name=phoneNumber]").fill("4155552671")
        assert page.locator("input[name=location]").input_value() == "+1 United States"
        submit(page)
        page.locator("input[name=vcode]").wait_for()
        sms = gateway.wait_for(1)
        assert sms.body["recipient"] == "+14155552671"
        page.locator("input[name=vcode]").fill(sms.code)
        submit(page)
        page.wait_for_url(f"{shop.url}/callback?*", timeout=15_000)
        claims = id_token_claims(server, client_id, page.url, sent, shop)
        assert claims["phone_number"] == "+14155552671"
        assert claims["amr"] == ["otp", "sms"]
    finally:
        context.close()


def test_a_wrong_code_shows_locks_error_and_lets_the_person_try_again(
    browser, live_server, smtp_server, shop
):
    server = live_server(**smtp_server.mail_config(), DISPATCHER_THREAD=True)
    client_id = register(server, shop)
    context = browser.new_context(viewport=LAPTOP)
    page = context.new_page()
    try:
        show_lock(page, server, shop, client_id, "email")
        page.locator("input[name=email]").fill(EMAIL)
        submit(page)
        code = code_from_mail(smtp_server)
        page.locator("input[name=vcode]").fill(str((int(code) + 1) % 1_000_000).zfill(6))
        submit(page)
        error = page.locator(".auth0-global-message-error")
        error.wait_for()
        assert "something went wrong" in error.inner_text().lower()
        assert page.url.startswith(shop.url + "/")  # still on the app's page
        page.locator("input[name=vcode]").fill(code)  # a wrong try costs one of three
        submit(page)
        page.wait_for_url(f"{shop.url}/callback?*", timeout=15_000)
    finally:
        context.close()


def test_a_page_of_an_unregistered_origin_gets_nothing(browser, live_server, smtp_server):
    server = live_server(**smtp_server.mail_config(), DISPATCHER_THREAD=True)
    with AppOrigin() as registered, AppOrigin() as stranger:
        client_id = register(server, registered)
        context = browser.new_context(viewport=LAPTOP)
        page = context.new_page()
        refused = []
        page.on("console", lambda m: refused.append(m.text) if "CORS" in m.text else None)
        try:
            show_lock(page, server, stranger, client_id, "email")
            page.locator("input[name=email]").fill(EMAIL)
            submit(page)
            error = page.locator(".auth0-global-message-error")
            error.wait_for()
            assert "something went wrong" in error.inner_text().lower()
            assert refused, "the browser did not report the refused CORS request"
            time.sleep(0.5)
            assert smtp_server.messages == []
        finally:
            context.close()
