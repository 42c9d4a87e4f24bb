"""An SPA built on the real auth0-spa-js (npm), on its own loopback origin, signs in
with Latchkey in Chromium: loginWithRedirect → the hosted page, an email code over real
SMTP → handleRedirectCallback → getUser; getTokenSilently through the hidden iframe
(prompt=none, response_mode=web_message), then with useRefreshTokens through a refresh
token; logout through /v2/logout back to the registered returnTo.

Latchkey's issuer is written with a trailing slash, as Auth0's are: auth0-spa-js
refuses an ID token whose `iss` is not `<domain>/`."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from spa_server import SpaServer
from sqlalchemy import select

from app.accounts.clients import create_client
from app.delivery import dispatcher
from app.extensions import db
from app.models import AccessToken, RefreshToken, sha256_hex

EMAIL = "june@example.com"
TIMEOUT = 10


@pytest.fixture
def latchkey(live_server, smtp_server):
    return live_server(issuer_path="/", **smtp_server.mail_config())


@pytest.fixture
def spa(latchkey):
    with SpaServer() as server:
        with latchkey.app.app_context():
            client, _ = create_client(
                "Planner",
                [server.url + "/callback"],
                client_type="spa",
                origins=[server.url],
                logout_urls=[server.url + "/"],
            )
            client_id = client.client_id
        server.settings.update(
            domain=latchkey.url, clientId=client_id, redirect_uri=server.url + "/callback"
        )
        yield server


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    yield context.new_page()
    context.close()


def authorize_requests(seen: list[str]) -> list[dict[str, str]]:
    """The query of each /authorize request the browser made (top level or framed)."""
    return [
        {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}
        for url in seen
        if urlsplit(url).path == "/authorize"
    ]


def sign_in_on_the_hosted_page(page, latchkey, smtp_server) -> None:
    """The person types an email, reads the code from the mail, types it."""
    page.get_by_label("Email address").fill(EMAIL)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Code").wait_for()
    with latchkey.app.app_context():
        assert dispatcher.dispatch_due() == 1
    (message,) = smtp_server.messages
    assert message["To"] == EMAIL
    code = re.search(r"\b(\d{6})\b", message["Subject"]).group(1)
    page.get_by_label("Code").fill(code)
    page.get_by_role("button", name="Continue").click()


def userinfo_email(latchkey, access_token: str) -> str:
    answer = requests.get(
        latchkey.url + "/userinfo",
        headers={"Authorization": f"Bearer {access_token}"},
        timeout=TIMEOUT,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["email"]


def test_auth0_spa_js_signs_in_gets_tokens_silently_and_logs_out(page, latchkey, spa, smtp_server):
    seen: list[str] = []
    page.on("request", lambda request: seen.append(request.url))

    # loginWithRedirect → the hosted page → back at the SPA's callback.
    page.goto(spa.url + "/")
    page.evaluate("() => { new auth0.Auth0Client(spaOptions()).loginWithRedirect(); }")
    page.wait_for_url(latchkey.url + "/authorize?*")
    sign_in_on_the_hosted_page(page, latchkey, smtp_server)
    page.wait_for_url(spa.url + "/callback?*")
    assert parse_qs(urlsplit(page.url).query)["iss"] == [latchkey.issuer]

    signed_in = page.evaluate(
        """async () => {
            window.spa = new auth0.Auth0Client(spaOptions());
            await spa.handleRedirectCallback();
            const claims = await spa.getIdTokenClaims();
            return {user: await spa.getUser(), iss: claims.iss};
        }"""
    )
    assert signed_in["user"]["email"] == EMAIL
    assert signed_in["user"]["email_verified"] is True
    assert signed_in["iss"] == latchkey.issuer == latchkey.url + "/"

    # getTokenSilently, the cache bypassed: the hidden iframe, answered by web_message.
    first = len(authorize_requests(seen))
    token = page.evaluate("() => spa.getTokenSilently({cacheMode: 'off'})")
    (silent,) = authorize_requests(seen)[first:]
    assert silent["prompt"] == "none" and silent["response_mode"] == "web_message"
    assert userinfo_email(latchkey, token) == EMAIL

    # useRefreshTokens: the iframe once more (for a refresh token), then the refresh token.
    first = len(authorize_requests(seen))
    refreshed = page.evaluate(
        """async () => {
            window.rotating = new auth0.Auth0Client(spaOptions({
                useRefreshTokens: true, useRefreshTokensFallback: true,
            }));
            const viaIframe = await rotating.getTokenSilently();
            const viaRefresh = await rotating.getTokenSilently({cacheMode: 'off'});
            return {viaIframe, viaRefresh};
        }"""
    )
    (for_refresh,) = authorize_requests(seen)[first:]  # no /authorize for the refresh
    assert "offline_access" in for_refresh["scope"].split()
    assert for_refresh["response_mode"] == "web_message"
    assert refreshed["viaRefresh"] != refreshed["viaIframe"]
    assert userinfo_email(latchkey, refreshed["viaRefresh"]) == EMAIL
    with latchkey.app.app_context():
        issued = db.session.scalars(
            select(AccessToken).filter_by(token_hash=sha256_hex(refreshed["viaRefresh"]))
        ).one()
        assert issued.refresh_family is not None  # issued by the refresh_token grant
        used = db.session.scalars(select(RefreshToken).filter_by(family_id=issued.refresh_family))
        assert sum(row.used_at is not None for row in used) == 1

    # logout → /v2/logout → back to the registered returnTo; the session is over.
    page.evaluate("(returnTo) => { spa.logout({logoutParams: {returnTo}}); }", spa.url + "/")
    page.wait_for_url(spa.url + "/")
    (logout,) = [url for url in seen if urlsplit(url).path == "/v2/logout"]
    assert parse_qs(urlsplit(logout).query)["client_id"] == [spa.settings["clientId"]]
    after = page.evaluate(
        """async () => {
            const fresh = new auth0.Auth0Client(spaOptions());
            try { await fresh.getTokenSilently({cacheMode: 'off'}); return 'token'; }
            catch (error) { return error.error; }
        }"""
    )
    assert after == "login_required"
