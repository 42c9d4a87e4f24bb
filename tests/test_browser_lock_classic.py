"""The `lock-classic` theme in Debian's chromium: the hosted page is Auth0's real Lock
passwordless widget, started from the `config` Latchkey injects as Universal Login
does. A person signs in by email code (over HTTPS, where auth0.js knows it is on the
hosted page: /passwordless/verify, then /passwordless/verify_redirect) and by magic
link opened in the same browser; both end at the app's callback, whose code the app
exchanges for an ID token."""

from __future__ import annotations

import base64
import json
import re
import time
from urllib.parse import urlencode

import pytest
import requests
from helpers import query_of
from lock_embedding import AppOrigin
from tls import self_signed_certificate

from app.accounts.clients import create_client, update_client
from app.accounts.connections import update_connection

EMAIL = "noa@example.com"
CODE = re.compile(r"\b(\d{6})\b")
LINK = re.compile(r"https?://\S+/login/link/[A-Za-z0-9_.-]+")


@pytest.fixture
def shop():
    with AppOrigin() as origin:
        yield origin


def register(server, origin: AppOrigin) -> tuple[str, str]:
    with server.app.app_context():
        client, secret = create_client(
            "Shop", [f"{origin.url}/callback"], connections=["email", "sms"]
        )
        update_client(client, theme="lock-classic")
        return client.client_id, secret


def authorize_url(server, client_id: str, origin: AppOrigin) -> str:
    query = {
        "client_id": client_id,
        "response_type": "code",
        "redirect_uri": f"{origin.url}/callback",
        "scope": "openid email",
        "state": "shop-state",
        "nonce": "shop-nonce",
    }
    return f"{server.url}/authorize?{urlencode(query)}"


def newest_mail(smtp_server, count: int = 1):
    deadline = time.monotonic() + 10
    while len(smtp_server.messages) < count:
        assert time.monotonic() < deadline, "no email arrived"
        time.sleep(0.05)
    return smtp_server.messages[count - 1]


def id_token_claims(server, client_id, secret, origin, callback_url, verify=True) -> dict:
    query = query_of(callback_url)
    assert query["state"] == "shop-state" and query["iss"] == server.url
    answer = requests.post(
        f"{server.url}/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": query["code"],
            "redirect_uri": f"{origin.url}/callback",
        },
        auth=(client_id, secret),
        timeout=10,
        verify=verify,
    )
    assert answer.status_code == 200, answer.text
    payload = answer.json()["id_token"].split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert claims["aud"] == client_id and claims["nonce"] == "shop-nonce"
    return claims


@pytest.mark.parametrize("https", [True, False], ids=["https", "http"])
def test_hosted_sign_in_by_email_code_through_lock(
    browser, live_server, smtp_server, shop, tmp_path, https
):
    """auth0.js knows the hosted page (its domain is the page's host) and verifies there,
    over HTTPS and, pointed at the page's origin by the template, over plain http."""
    mail = {**smtp_server.mail_config(), "DISPATCHER_THREAD": True}
    cert, key = self_signed_certificate(tmp_path)
    if https:  # a browser keeps the __Host- binding cookie only when it is Secure
        server = live_server(tls=(str(cert), str(key)), BINDING_COOKIE_SECURE=True, **mail)
    else:
        server = live_server(**mail)
    client_id, secret = register(server, shop)
    context = browser.new_context(ignore_https_errors=True, viewport={"width": 1280, "height": 800})
    page = context.new_page()
    steps = []
    page.on("request", lambda r: steps.append(r.url.split("?")[0]) if r.method == "POST" else 0)
    try:
        page.goto(authorize_url(server, client_id, shop))
        page.locator("input[name=email]").fill(EMAIL)
        page.locator("button[name=submit]").click()
        page.locator("input[name=vcode]").wait_for()
        code = CODE.search(newest_mail(smtp_server)["Subject"]).group(1)
        page.locator("input[name=vcode]").fill(code)
        page.locator("button[name=submit]").click()
        page.wait_for_url(f"{shop.url}/callback?*", timeout=15_000)
        assert [step for step in steps if "challenge" not in step] == [
            f"{server.url}/passwordless/start",
            f"{server.url}/passwordless/verify",
        ]
        claims = id_token_claims(
            server, client_id, secret, shop, page.url, verify=str(cert) if https else True
        )
        assert claims["email"] == EMAIL and claims["iss"] == server.url
    finally:
        context.close()


def test_hosted_sign_in_by_magic_link_in_the_same_browser(browser, live_server, smtp_server, shop):
    server = live_server(**smtp_server.mail_config(), DISPATCHER_THREAD=True)
    client_id, secret = register(server, shop)
    with server.app.app_context():
        update_connection("email", send="link")
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        page.goto(authorize_url(server, client_id, shop))
        page.locator("input[name=email]").fill(EMAIL)
        page.locator("button[name=submit]").click()
        page.get_by_text("We sent you a link to log in").wait_for()  # Lock's link screen
        assert EMAIL in page.locator(".auth0-lock-confirmation").inner_text()
        mail = newest_mail(smtp_server)
        link = LINK.search(mail.get_body(("plain",)).get_content()).group(0)
        assert link.startswith(f"{server.url}/login/link/")

        # A mail scanner opens the link first: nothing happens.
        assert requests.get(link, timeout=10).status_code == 200
        tab = context.new_page()  # the person opens it in this browser
        tab.goto(link)
        tab.wait_for_url(f"{shop.url}/callback?*", timeout=15_000)
        claims = id_token_claims(server, client_id, secret, shop, tab.url)
        assert claims["email"] == EMAIL
    finally:
        context.close()
