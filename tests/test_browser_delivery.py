"""The delivery line in Debian's chromium: with JavaScript it follows the message
without a reload (sending → sent; delayed → failed with its choices), and screenshots
of the code page at phone and desktop sizes land in test-artifacts/."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.accounts.clients import create_client
from app.delivery import dispatcher
from app.extensions import db

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "delivery"
CALLBACK = "https://app.example/cb"


def authorize_url(server, client_id: str, **params: str) -> str:
    from urllib.parse import urlencode

    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": CALLBACK,
        "scope": "openid email",
        "state": "s",
        "nonce": "n",
        **params,
    }
    return f"{server.url}/authorize?{urlencode(query)}"


def register(server, connections: list[str]) -> str:
    with server.app.app_context():
        client, _ = create_client("Acme Notes", [CALLBACK], connections=connections)
        db.session.commit()
        return client.client_id


def dispatch(server) -> None:
    with server.app.app_context():
        dispatcher.dispatch_due()


@pytest.mark.parametrize("viewport", [(1280, 800), (390, 844)], ids=["desktop", "phone"])
def test_the_line_follows_the_email_without_a_reload(browser, live_server, viewport):
    server = live_server()
    client_id = register(server, ["email"])
    page = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}).new_page()
    try:
        page.goto(authorize_url(server, client_id))
        page.get_by_label("Email address").fill("watch@example.com")
        page.get_by_role("button", name="Continue").click()
        line = page.locator("#lk-delivery .lk-delivery-line")
        assert line.get_attribute("role") == "status"
        assert page.locator("#lk-delivery-text").inner_text() == "Sending the email…"
        page.evaluate("window.__same_page = true")
        dispatch(server)
        line.filter(has_text="Email sent.").wait_for(timeout=10_000)
        assert page.evaluate("window.__same_page") is True  # updated in place
        assert line.get_attribute("aria-live") == "polite"
    finally:
        page.context.close()


@pytest.mark.parametrize("viewport", [(1280, 800), (390, 844)], ids=["desktop", "phone"])
def test_a_failed_sms_shows_its_choices(browser, live_server, gateway, viewport):
    gateway.answer_with(500)
    server = live_server(**gateway.config(DISPATCH_MAX_TRIES=2))
    client_id = register(server, ["email", "sms"])
    name = "phone" if viewport[0] < 500 else "desktop"
    page = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}).new_page()
    try:
        page.goto(authorize_url(server, client_id, connection="sms"))
        page.get_by_label("Phone number").fill("+1 415 555 2671")
        page.get_by_role("button", name="Continue").click()
        line = page.locator("#lk-delivery .lk-delivery-line")
        dispatch(server)
        line.filter(has_text="delayed").wait_for(timeout=10_000)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"code-sms-delayed-{name}.png"), full_page=True)
        with server.app.app_context():  # the retry is due now (the backoff passed)
            from app.models import OutboxMessage, utcnow

            db.session.execute(db.update(OutboxMessage).values(next_try_at=utcnow()))
            db.session.commit()
        dispatch(server)
        page.get_by_role("button", name="Try again").wait_for(timeout=10_000)
        assert "We couldn't send the text message." in line.inner_text()
        other = page.get_by_role("link", name="Sign in with email instead")
        assert "connection=email" in other.get_attribute("href")
        page.screenshot(path=str(ARTIFACTS / f"code-sms-failed-{name}.png"), full_page=True)

        gateway.answer_with(200)
        page.get_by_role("button", name="Try again").click()
        assert page.locator("#lk-delivery-text").inner_text() == "Sending the text message…"
        dispatch(server)
        line.filter(has_text="Text message sent.").wait_for(timeout=10_000)
        assert len(gateway.received) == 3
    finally:
        page.context.close()
