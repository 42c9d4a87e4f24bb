"""auth0.js (npm auth0-js, pinned in package.json) signs in against Latchkey in Chromium.

- Hosted: the theme auth0js-custom, a custom UI on auth0.js served by Latchkey
  (passwordlessStart, then passwordlessLogin: /passwordless/verify and
  /passwordless/verify_redirect), ends at the app's callback with a code that
  trades for an ID token.
- Embedded: the app's own page on a second loopback origin (a registered web
  origin) uses auth0.js's cross-origin authentication (/co/authenticate, then
  /authorize?login_ticket=…), with the co_verifier cookie, and without it through
  the app's verification page (/co/verify); a page on an unregistered origin gets
  nothing.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest
import requests
from app_origin import AppOrigin
from helpers import RelyingApp, messages_to, query_of
from joserfc import jwt
from joserfc.jwk import KeySet
from tls import self_signed_certificate

from app.accounts.clients import find_client, update_client
from app.extensions import db
from app.models import LoginTicket

EMAIL = "ada@example.com"


@pytest.fixture
def certificate(tmp_path):
    return self_signed_certificate(tmp_path)


@pytest.fixture
def server(live_server, certificate, monkeypatch):
    cert, key = certificate
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))
    # A browser keeps the __Host- binding cookie only with its Secure flag.
    return live_server(tls=(str(cert), str(key)), BINDING_COOKIE_SECURE=True)


@pytest.fixture
def shop(certificate):
    """The app's own origin (registered), serving its pages and auth0.js."""
    cert, key = certificate
    with AppOrigin(str(cert), str(key)) as origin:
        yield origin


@pytest.fixture
def context(browser):
    context = browser.new_context(ignore_https_errors=True, viewport={"width": 390, "height": 844})
    yield context
    context.close()


def register(server, shop, **changes) -> RelyingApp:
    app = RelyingApp.register(
        server.app, "spa", callbacks=(shop.url + "/callback",), origins=(shop.url,)
    )
    if changes:
        with server.app.app_context():
            update_client(find_client(app.client_id), **changes)
    return app


def newest_code(server) -> str:
    return messages_to(server.app, EMAIL)[-1].code


def id_token_for(server, relying_app: RelyingApp, callback_url: str) -> dict:
    """What the app does at its callback: trade the code (PKCE) for tokens, check the
    ID token's signature and claims."""
    back = query_of(callback_url)
    assert back["state"] == relying_app.state
    answer = requests.post(
        server.url + "/oauth/token",
        data={**relying_app.code_body(back["code"]), "client_id": relying_app.client_id},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    keys = KeySet.import_key_set(
        requests.get(server.url + "/.well-known/jwks.json", timeout=10).json()
    )
    claims = jwt.decode(answer.json()["id_token"], keys, algorithms=["RS256"]).claims
    assert claims["aud"] == relying_app.client_id and claims["iss"] == server.url
    return claims


def ask_for_a_code(page, server) -> None:
    """On the auth0js-custom page: type the address, press Continue, see the code step."""
    page.get_by_label("Email address").fill(EMAIL)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Code").wait_for()


def test_hosted_custom_ui_signs_in_by_email_code(server, shop, context):
    shop_app = register(server, shop, theme="auth0js-custom")
    page = context.new_page()
    page.goto(server.url + "/authorize?" + urlencode(shop_app.authorize_params()))

    ask_for_a_code(page, server)
    page.get_by_label("Code").fill("000000" if newest_code(server) != "000000" else "111111")
    page.get_by_role("button", name="Continue").click()
    error = page.locator("#lk-error")
    error.wait_for(state="visible")
    assert "isn't right" in error.inner_text()
    assert EMAIL in page.locator("#lk-a0-recipient").inner_text()
    page.get_by_label("Code").fill(newest_code(server))
    page.get_by_role("button", name="Continue").click()

    page.wait_for_url(re.compile(re.escape(shop.url) + r"/callback\?"))
    claims = id_token_for(server, shop_app, page.url)
    assert claims["email"] == EMAIL and claims["nonce"] == shop_app.nonce
    with server.app.app_context():
        ticket = db.session.query(LoginTicket).one()
        assert ticket.consumed_at is not None


def test_hosted_custom_ui_works_over_plain_http_in_development(live_server, shop, context):
    """`make run` serves http: the theme's script points auth0.js at the page's origin."""
    dev = live_server()
    shop_app = register(dev, shop, theme="auth0js-custom")
    page = context.new_page()
    page.goto(dev.url + "/authorize?" + urlencode(shop_app.authorize_params()))

    ask_for_a_code(page, dev)
    page.get_by_label("Code").fill(newest_code(dev))
    page.get_by_role("button", name="Continue").click()

    page.wait_for_url(re.compile(re.escape(shop.url) + r"/callback\?"))
    assert "code" in query_of(page.url)


def embedded_page_url(server, origin: str, relying_app: RelyingApp) -> str:
    query = {
        "domain": server.url.removeprefix("https://"),
        "client_id": relying_app.client_id,
        "state": relying_app.state,
        "challenge": relying_app.challenge,
    }
    return f"{origin}/embedded.html?{urlencode(query)}"


def sign_in_embedded(page, server):
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_role("button", name="Send me a code").click()
    page.get_by_text("Code sent").wait_for()
    page.get_by_label("Code").fill(newest_code(server))
    page.get_by_role("button", name="Sign in").click()


def test_embedded_page_signs_in_through_cross_origin_authentication(server, shop, context):
    shop_app = register(server, shop)
    page = context.new_page()
    page.goto(embedded_page_url(server, shop.url, shop_app))

    sign_in_embedded(page, server)

    page.wait_for_url(re.compile(re.escape(shop.url) + r"/callback\?"))
    claims = id_token_for(server, shop_app, page.url)
    assert claims["email"] == EMAIL


def test_embedded_without_third_party_cookies_uses_the_apps_verification_page(
    server, shop, context
):
    shop_app = register(server, shop)
    location = f"{shop.url}/co-verify.html?" + urlencode(
        {"domain": server.url.removeprefix("https://"), "client_id": shop_app.client_id}
    )
    with server.app.app_context():
        update_client(find_client(shop_app.client_id), cross_origin_loc=location)
    page = context.new_page()

    def without_cookie(route):  # as a browser that blocks third-party cookies
        answer = route.fetch()  # (its cookies land in the context's jar: drop them)
        context.clear_cookies(name="co_verifier")
        headers = {k: v for k, v in answer.headers.items() if k.lower() != "set-cookie"}
        route.fulfill(response=answer, headers=headers)

    page.route("**/co/authenticate", without_cookie)
    page.goto(embedded_page_url(server, shop.url, shop_app))

    sign_in_embedded(page, server)

    page.wait_for_url(re.compile(re.escape(shop.url) + r"/callback\?"))
    assert "code" in query_of(page.url), page.url
    assert any(path.startswith("/co-verify.html") for path in shop.requests)
    assert id_token_for(server, shop_app, page.url)["email"] == EMAIL


def test_a_page_on_an_unregistered_origin_gets_nothing(server, shop, certificate, context):
    cert, key = certificate
    shop_app = register(server, shop)
    with AppOrigin(str(cert), str(key)) as stranger:
        page = context.new_page()
        page.goto(embedded_page_url(server, stranger.url, shop_app))

        page.get_by_label("Email").fill(EMAIL)
        page.get_by_role("button", name="Send me a code").click()
        page.get_by_text("Error:").wait_for()

    assert messages_to(server.app, EMAIL) == []
    with server.app.app_context():
        assert db.session.query(LoginTicket).count() == 0


def test_the_demos_auth0js_embedded_page_signs_in(live_server, browser):
    """`make run`'s /demo/auth0js over plain http: auth0.js embedded in an app page,
    then the page trades the code for tokens itself (PKCE) and shows the claims."""
    from app.accounts.demo import ensure_demo_client

    demo = live_server(DEMO=True)
    with demo.app.app_context():
        ensure_demo_client()
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        page = context.new_page()
        page.goto(demo.url + "/demo/")
        page.get_by_role("link", name="Try auth0.js embedded").click()
        page.get_by_label("Email address").fill(EMAIL)
        page.get_by_role("button", name="Send me a code").click()
        page.get_by_label("Code").wait_for()
        page.get_by_label("Code").fill(messages_to(demo.app, EMAIL)[-1].code)
        page.get_by_role("button", name="Sign in").click()

        claims = page.locator("#demo-a0-claims")
        claims.wait_for()
        assert f'"email": "{EMAIL}"' in claims.inner_text()
        assert page.url == demo.url + "/demo/auth0js"  # the code is gone from the address
    finally:
        context.close()
