"""A person signs in to the demo app through the Lock page, in Debian's chromium."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.accounts.demo import ensure_demo_client

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


@pytest.fixture
def demo_server(live_server):
    server = live_server(DEMO=True)
    with server.app.app_context():
        ensure_demo_client()
    return server


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("viewport", [(1280, 800), (390, 844)], ids=["desktop", "phone"])
def test_sign_in_to_the_demo_app_with_an_email_code(browser, demo_server, javascript, viewport):
    context = browser.new_context(
        java_script_enabled=javascript, viewport={"width": viewport[0], "height": viewport[1]}
    )
    page = context.new_page()
    try:
        page.goto(f"{demo_server.url}/demo/")
        page.get_by_role("link", name="Sign in").click()

        page.get_by_label("Email address").fill("Ada@Example.com")
        page.get_by_role("button", name="Continue").click()
        assert "ada@example.com" in page.locator("main").inner_text()

        outbox = context.new_page()
        outbox.goto(f"{demo_server.url}/dev/outbox")
        code = re.search(r"\b(\d{6}) is your code\b", outbox.locator("body").inner_text())
        assert code, "the code email is in the dev outbox"
        outbox.close()

        page.get_by_label("Code").fill(code.group(1))
        page.get_by_role("button", name="Continue").click()

        page.wait_for_url(f"{demo_server.url}/demo/")
        text = page.locator("body").inner_text()
        assert "Signed in as ada@example.com" in text
        assert demo_server.url in text  # the iss claim
        assert "email_verified" in text
        ARTIFACTS.mkdir(exist_ok=True)
        name = f"demo-signed-in-{'js' if javascript else 'nojs'}-{viewport[0]}.png"
        page.screenshot(path=str(ARTIFACTS / name), full_page=True)
    finally:
        context.close()
