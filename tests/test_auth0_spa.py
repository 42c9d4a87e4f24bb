"""An SPA built on the real auth0-spa-js (npm), on its own loopback origin, signs in
with Latchkey in Chromium: loginWithRedirect → the hosted page, an email code over real
SMTP → handleRedirectCallback → getUser; getTokenSilently through the hidden iframe
(prompt=none, response_mode=web_message), then with useRefreshTokens through a refresh
token; logout through /v2/logout back to the registered returnTo.

Latchkey's issuer is written with a trailing slash, as Auth0's are: auth0-spa-js
refuses an ID token whose `iss` is not `<domain>/`."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from helpers import pkce_pair
from spa_server import DIST, SpaServer
from sqlalchemy import select

from app.accounts.clients import create_client
from app.accounts.demo import ensure_demo_spa_client
from app.delivery import dispatcher
from app.extensions import db
from app.models import AccessToken, RefreshToken, sha256_hex

EMAIL = "june@example.com"
TIMEOUT = 10
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs/screenshots"


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
            return {user: await spa.getUser(), iss: claims.iss, auth_time: claims.auth_time};
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
            const before = await rotating.getIdTokenClaims();
            const viaRefresh = await rotating.getTokenSilently({cacheMode: 'off'});
            const after = await rotating.getIdTokenClaims();
            const pick = (claims) => ({
                raw: claims.__raw, auth_time: claims.auth_time, amr: claims.amr,
                nonce: claims.nonce ?? null,
            });
            return {viaIframe, viaRefresh, before: pick(before), after: pick(after)};
        }"""
    )
    (for_refresh,) = authorize_requests(seen)[first:]  # no /authorize for the refresh
    assert "offline_access" in for_refresh["scope"].split()
    assert for_refresh["response_mode"] == "web_message"
    assert refreshed["viaRefresh"] != refreshed["viaIframe"]
    # The refreshed ID token, as auth0-spa-js verified and cached it: the sign-in's
    # auth_time and amr (the silent sign-in's are the SSO session's), no nonce.
    before, after = refreshed["before"], refreshed["after"]
    assert after["raw"] != before["raw"] and after["nonce"] is None
    assert before["auth_time"] == signed_in["auth_time"] and before["amr"] == ["otp"]
    assert (after["auth_time"], after["amr"]) == (before["auth_time"], before["amr"])
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


# The SPA demo of `make run` (/demo/spa/), on the copy of auth0-spa-js in static/vendor/.

VENDORED = Path(__file__).resolve().parent.parent / "static/vendor/auth0-spa-js"


@pytest.mark.parametrize(
    "name", ["auth0-spa-js.production.js", "auth0-spa-js.worker.production.js", "LICENSE"]
)
def test_the_vendored_auth0_spa_js_is_the_pinned_npm_release(name):
    """static/vendor/ holds the files of the version package.json pins, unchanged."""
    package = DIST.parent
    pinned = json.loads((package.parent.parent.parent / "package.json").read_text())
    installed = json.loads((package / "package.json").read_text())["version"]
    assert pinned["devDependencies"]["@auth0/auth0-spa-js"] == installed
    source = package / name if name == "LICENSE" else DIST / name
    assert (VENDORED / name).read_bytes() == source.read_bytes()


def shoot(page, state: str, viewport: tuple[int, int]) -> None:
    """A picture of the SPA demo in test-artifacts/ (and in docs/screenshots/ with
    UPDATE_SCREENSHOTS=1; not compared, as it shows times and random values)."""
    size = "phone" if viewport[0] < 500 else "desktop"
    name = f"demo-spa-{state}-{size}.png"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)
    if os.environ.get("UPDATE_SCREENSHOTS"):
        page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


@pytest.fixture
def demo(live_server):
    server = live_server(issuer_path="/", DEMO=True)
    with server.app.app_context():
        ensure_demo_spa_client()
    return server


@pytest.mark.parametrize("viewport", [(1280, 800), (390, 844)], ids=["desktop", "phone"])
def test_the_spa_demo_signs_in_renews_its_token_and_signs_out(browser, demo, viewport):
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    try:
        page.goto(f"{demo.url}/demo/spa/")
        page.get_by_role("button", name="Sign in").wait_for()
        assert page.get_by_role("button", name="Sign out").is_hidden()
        shoot(page, "signed-out", viewport)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_label("Email address").fill(EMAIL)
        page.get_by_role("button", name="Continue").click()
        outbox = context.new_page()
        outbox.goto(f"{demo.url}/dev/outbox")
        code = re.search(r"\b(\d{6}) is your code\b", outbox.locator("body").inner_text())
        outbox.close()
        page.get_by_label("Code").fill(code.group(1))
        page.get_by_role("button", name="Continue").click()

        page.get_by_role("heading", name=f"Signed in as {EMAIL}").wait_for()
        assert page.url == f"{demo.url}/demo/spa/"  # the code and state left the address
        claims = page.locator("#spa-claims").inner_text()
        assert demo.issuer in claims and "email_verified" in claims
        page.get_by_role("button", name="Get a new access token").click()
        page.get_by_text("A new access token arrived at").wait_for()

        shoot(page, "signed-in", viewport)
        page.get_by_role("button", name="Sign out").click()
        page.get_by_role("button", name="Sign in").wait_for()
        assert page.url == f"{demo.url}/demo/spa/"
        assert page.get_by_role("button", name="Sign out").is_hidden()
        assert page.get_by_text("Checking whether you are signed in").is_hidden()
    finally:
        context.close()
    assert problems == []


def test_login_with_popup_gets_the_answer_by_web_message(page, latchkey, spa, smtp_server):
    """loginWithPopup: the hosted page in a popup, whose last page posts the code to
    window.opener (response_mode=web_message), which auth0-spa-js reads, then closes."""
    page.goto(spa.url + "/")
    with page.expect_popup() as opened:
        page.evaluate(
            """() => {
                window.spa = new auth0.Auth0Client(spaOptions());
                window.popupDone = spa.loginWithPopup()
                    .then(() => 'ok', (e) => e.error || e.message);
            }"""
        )
    popup = opened.value
    popup.wait_for_url(latchkey.url + "/authorize?*")
    assert "response_mode=web_message" in popup.url
    sign_in_on_the_hosted_page(popup, latchkey, smtp_server)

    assert page.evaluate("() => window.popupDone") == "ok"
    if not popup.is_closed():  # auth0-spa-js closes it once the message is read
        popup.wait_for_event("close")
    user = page.evaluate("() => spa.getUser()")
    assert user["email"] == EMAIL


def test_a_site_that_is_not_the_apps_origin_gets_no_answer(page, latchkey, spa, smtp_server):
    """A signed-in person visits another site, which asks /authorize for the SPA's
    answer by web_message: in an iframe the browser refuses to show the page
    (frame-ancestors), in a popup the page posts only to the SPA's origin."""
    page.goto(spa.url + "/")
    page.evaluate("() => { new auth0.Auth0Client(spaOptions()).loginWithRedirect(); }")
    page.wait_for_url(latchkey.url + "/authorize?*")
    sign_in_on_the_hosted_page(page, latchkey, smtp_server)
    page.wait_for_url(spa.url + "/callback?*")
    _, challenge = pkce_pair()  # the other site's own PKCE pair
    silent = (
        latchkey.url
        + "/authorize?"
        + urlencode(
            {
                "client_id": spa.settings["clientId"],
                "redirect_uri": spa.settings["redirect_uri"],
                "response_type": "code",
                "response_mode": "web_message",
                "prompt": "none",
                "scope": "openid email",
                "state": "s",
                "nonce": "n",
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            }
        )
    )

    with SpaServer() as other:
        page.goto(other.url + "/")
        with page.expect_console_message(lambda m: "frame-ancestors" in m.text):
            page.evaluate(
                """(url) => {
                    const frame = document.createElement('iframe');
                    frame.src = url;
                    document.body.appendChild(frame);
                }""",
                silent,
            )

        with page.expect_popup() as opened:
            page.evaluate(
                """(url) => {
                    window.received = new Promise((resolve) => {
                        const got = [];
                        window.addEventListener('message', (event) => {
                            if (event.data === 'last') resolve(got); else got.push(event.data);
                        });
                    });
                    window.open(url, 'answer');
                }""",
                silent,
            )
        popup = opened.value
        popup.wait_for_load_state("load")
        assert "Returning to Planner" in popup.locator("main").inner_text()
        # Messages from one window arrive in order: this one comes after any the page sent.
        popup.evaluate("() => window.opener.postMessage('last', '*')")
        assert page.evaluate("() => window.received") == []
