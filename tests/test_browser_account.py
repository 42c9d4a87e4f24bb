"""Account linking in Debian's chromium, over real SMTP (aiosmtpd) and a real SMS
gateway: a person signed in to the demo app opens "Manage your account", adds an email
address and a phone number (each by the code sent there), and signs in again by SMS as
the same `sub`; another account's address merges only after its code and the button."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from app.accounts.connections import update_connection
from app.accounts.demo import ensure_demo_client

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
PAT = "pat@example.com"
WORK = "pat@work.example"


@pytest.fixture
def server(live_server, smtp_server, gateway):
    server = live_server(
        DEMO=True, **smtp_server.mail_config(), **gateway.config(DISPATCHER_THREAD=True)
    )
    with server.app.app_context():
        ensure_demo_client()
        update_connection("sms", allowed_countries=["US", "GB"])
    return server


def mailed_code(smtp_server, recipient: str, count: int, timeout: float = 10) -> str:
    """The code in the `count`-th message SMTP received for `recipient`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [m for m in smtp_server.messages if m["To"] == recipient]
        if len(found) >= count:
            text = found[count - 1].get_body(("plain",)).get_content()
            return re.search(r"\b(\d{6})\b", text).group(1)
        time.sleep(0.05)
    raise AssertionError(f"no message {count} for {recipient}")


def sign_in_by_email(page, server, smtp_server, email: str, count: int = 1) -> str:
    """From the demo's front page to signed in; returns the sub the app received."""
    page.goto(f"{server.url}/demo/")
    page.get_by_role("link", name="Sign in").click()
    page.get_by_label("Email address").fill(email)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Code").fill(mailed_code(smtp_server, email, count))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{server.url}/demo/")
    return claim(page, "sub")


def type_uk_mobile(page) -> None:
    """Pick the United Kingdom in the country picker (static/phone.js) and type a number."""
    picker = page.get_by_role("combobox", name="Country").and_(page.locator("input"))
    picker.fill("united kingdom")
    picker.press("Enter")
    page.get_by_label("Phone number").fill("07400 123456")


def claim(page, name: str) -> str:
    return page.locator(f"tr:has(th code:text-is('{name}')) td").inner_text()


def test_linking_an_email_address_and_a_phone_number(browser, server, smtp_server, gateway):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        sub = sign_in_by_email(page, server, smtp_server, PAT)
        page.get_by_role("link", name="Manage your account").click()
        main = page.locator("main")
        assert "Your account" in main.inner_text() and PAT in main.inner_text()

        page.get_by_role("link", name="Add an email address").click()
        page.get_by_label("Email address").fill(WORK)
        page.get_by_role("button", name="Send code").click()
        page.get_by_label("Code").fill(mailed_code(smtp_server, WORK, 1))
        page.get_by_role("button", name="Continue").click()
        assert "Added to your account." in main.inner_text() and WORK in main.inner_text()

        page.get_by_role("link", name="Add a phone number").click()
        type_uk_mobile(page)
        page.get_by_role("button", name="Send code").click()
        assert "+44 7400 123456" in main.inner_text()
        sms = gateway.wait_for(1)
        assert sms.body["recipient"] == "+447400123456"
        page.get_by_label("Code").fill(sms.code)
        page.get_by_role("button", name="Continue").click()
        assert "+44 7400 123456" in main.inner_text()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "account-linked-phone.png"), full_page=True)

        page.get_by_role("link", name="Back to Notebook").first.click()
        page.wait_for_url(f"{server.url}/demo/")

        # Signing in by SMS, in a browser of its own, is the same person to the app.
        fresh = browser.new_context(viewport={"width": 390, "height": 844})
        page = fresh.new_page()
        page.goto(f"{server.url}/demo/login")
        page.get_by_role("link", name="Phone").click()
        type_uk_mobile(page)
        page.get_by_role("button", name="Continue").click()
        page.get_by_label("Code").fill(gateway.wait_for(2).code)
        page.get_by_role("button", name="Continue").click()
        page.wait_for_url(f"{server.url}/demo/")
        assert claim(page, "sub") == sub
        fresh.close()
    finally:
        context.close()


def test_another_account_merges_only_after_its_code_and_the_button(browser, server, smtp_server):
    other = browser.new_context()
    work_sub = sign_in_by_email(other.new_page(), server, smtp_server, WORK)
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    try:
        sub = sign_in_by_email(page, server, smtp_server, PAT)
        assert sub != work_sub
        page.goto(f"{server.url}/account?client_id=demo")
        page.get_by_role("link", name="Add an email address").click()
        page.get_by_label("Email address").fill(WORK)
        page.get_by_role("button", name="Send code").click()
        page.get_by_label("Code").fill(mailed_code(smtp_server, WORK, 2))
        page.get_by_role("button", name="Continue").click()

        assert "Merge the two accounts?" in page.locator("main").inner_text()
        page.screenshot(path=str(ARTIFACTS / "account-merge-offer.png"), full_page=True)
        page.get_by_role("button", name="Merge accounts").click()
        assert "The other account is now part of this one." in page.locator("main").inner_text()

        # The merged address signs in as the primary, in a browser of its own.
        fresh = browser.new_context()
        assert sign_in_by_email(fresh.new_page(), server, smtp_server, WORK, count=3) == sub
        fresh.close()
        # The secondary's browser session ended with its user.
        gone = other.new_page()
        gone.goto(f"{server.url}/account")
        assert "You are not signed in" in gone.locator("main").inner_text()
    finally:
        context.close()
        other.close()
