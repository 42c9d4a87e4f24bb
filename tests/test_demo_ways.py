"""The demo app (`make run`, /demo/) offers each of Auth0's front ends: besides its own
sign-in (the default `lock` theme), the hosted page drawn by the real Lock widget
(`lock-classic`) and by a custom UI on auth0.js (`auth0js-custom`), each through a demo
app registered in that theme by `flask demo setup`. In Chromium, from the demo's page to
"Signed in as"."""

from __future__ import annotations

import pytest
import requests
from helpers import messages_to, query_of

from app.accounts.demo import HOSTED_THEME_CLIENTS
from app.extensions import db
from app.models import Client

EMAIL = "demo-ways@example.com"


@pytest.fixture
def demo_server(live_server):
    server = live_server(DEMO=True)
    done = server.app.test_cli_runner().invoke(args=["demo", "setup"])  # as `make run` does
    assert done.exit_code == 0, done.output
    return server


def newest_code(server) -> str:
    return messages_to(server.app, EMAIL)[-1].code


def test_setup_registers_one_demo_app_per_hosted_theme(demo_server):
    with demo_server.app.app_context():
        for theme, client_id in HOSTED_THEME_CLIENTS.items():
            client = db.session.query(Client).filter_by(client_id=client_id).one()
            assert client.theme == theme and client.client_type == "regular"
            assert client.redirect_uris == [f"{demo_server.url}/demo/callback"]


@pytest.mark.parametrize("theme", [None, "unknown", *HOSTED_THEME_CLIENTS])
def test_the_demo_login_asks_for_the_theme_s_app(demo_server, theme):
    query = {"theme": theme} if theme else {}
    started = requests.get(
        demo_server.url + "/demo/login", params=query, allow_redirects=False, timeout=10
    )
    assert started.status_code == 302
    expected = HOSTED_THEME_CLIENTS.get(theme, "demo")
    assert query_of(started.headers["Location"])["client_id"] == expected


def sign_in_with_lock(page, server) -> None:
    page.locator("input[name=email]").fill(EMAIL)
    page.locator("button[name=submit]").click()
    page.locator("input[name=vcode]").wait_for()
    page.locator("input[name=vcode]").fill(newest_code(server))
    page.locator("button[name=submit]").click()


def sign_in_with_auth0js(page, server) -> None:
    page.get_by_label("Email address").fill(EMAIL)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Code").wait_for()
    page.get_by_label("Code").fill(newest_code(server))
    page.get_by_role("button", name="Continue").click()


@pytest.mark.parametrize(
    ("link", "sign_in"),
    [
        ("The hosted page with the Lock widget", sign_in_with_lock),
        ("The hosted page with a custom UI on auth0.js", sign_in_with_auth0js),
    ],
    ids=["lock-classic", "auth0js-custom"],
)
def test_the_demo_signs_in_through_each_hosted_theme(browser, demo_server, link, sign_in):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        page.goto(demo_server.url + "/demo/")
        page.get_by_role("link", name=link).click()
        page.wait_for_url(f"{demo_server.url}/authorize?*")
        sign_in(page, demo_server)
        page.wait_for_url(f"{demo_server.url}/demo/", timeout=15_000)
        assert f"Signed in as {EMAIL}" in page.locator("main").inner_text()
    finally:
        context.close()


def test_the_demo_signs_in_with_lock_embedded(browser, demo_server):
    """/demo/lock/: Lock in the demo's own page sends the code, signs in across origins
    (/co/authenticate, /authorize?login_ticket=…), and the demo's callback shows the user."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    try:
        page.goto(demo_server.url + "/demo/")
        page.get_by_role("link", name="Try Lock embedded").click()
        page.wait_for_url(f"{demo_server.url}/demo/lock/*")
        sign_in_with_lock(page, demo_server)
        page.wait_for_url(f"{demo_server.url}/demo/", timeout=15_000)
        assert f"Signed in as {EMAIL}" in page.locator("main").inner_text()
    finally:
        context.close()
