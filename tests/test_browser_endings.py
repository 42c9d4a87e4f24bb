"""How the waiting page ("Check your email") ends, seen in the first tab, in Debian's
chromium: each ending tells what happened and offers the one next step that fits.
Two browser contexts are two browsers (two devices)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from test_browser_links import EMAIL, LAPTOP, PHONE, ask_for_link, newest_link

from app.accounts.connections import update_connection
from app.accounts.demo import ensure_demo_client
from app.extensions import db
from app.models import LoginTicket, utcnow


@pytest.fixture
def link_server(live_server):  # noqa: F811
    server = live_server(DEMO=True)
    with server.app.app_context():
        ensure_demo_client()
        update_connection("email", send="link")
    return server


@pytest.fixture
def two_devices(browser):
    laptop = browser.new_context(viewport=LAPTOP)
    phone = browser.new_context(viewport=PHONE)
    yield laptop, phone
    laptop.close()
    phone.close()


def card_text(page) -> str:
    return " ".join(page.locator("main").inner_text().split())


def wait_for_ending(page, ending: str) -> None:
    page.locator(f"#lk-ended[data-ending={ending}]").wait_for(timeout=15_000)


def test_link_opened_in_another_tab_of_this_browser(two_devices, link_server):
    laptop, _ = two_devices
    first = laptop.new_page()
    ask_for_link(first, link_server)
    mail = laptop.new_page()
    mail.goto(newest_link(link_server))
    mail.wait_for_url(f"{link_server.url}/demo/")

    wait_for_ending(first, "signed_in_here")
    text = card_text(first)
    assert "You're signed in" in text
    assert "You can close this tab." in text
    assert "already used" not in text
    first.get_by_role("link", name="Continue to Notebook").click()
    first.wait_for_url(f"{link_server.url}/demo/")
    assert f"Signed in as {EMAIL}" in first.locator("body").inner_text()


def test_other_device_approves_then_back_says_signed_in(two_devices, link_server):
    laptop, phone = two_devices
    first = laptop.new_page()
    ask_for_link(first, link_server)
    shown = first.locator(".lk-match-number").inner_text().strip()
    other = phone.new_page()
    other.goto(newest_link(link_server))
    other.get_by_label("Number shown there").fill(shown)
    other.get_by_role("button", name="Approve sign-in").click()
    other.get_by_role("heading", name="Sign-in approved").wait_for()

    first.wait_for_url(f"{link_server.url}/demo/", timeout=15_000)
    first.go_back()
    wait_for_ending(first, "signed_in_here")
    text = card_text(first)
    assert "You're signed in" in text
    assert "already used" not in text and "wrong tries" not in text


def test_other_device_takes_the_sign_in_over(two_devices, link_server):
    laptop, phone = two_devices
    first = laptop.new_page()
    ask_for_link(first, link_server)
    other = phone.new_page()
    other.goto(newest_link(link_server))
    other.get_by_role("link", name="Continue on this device instead").click()
    other.get_by_role("button", name="Yes, continue here").click()
    other.wait_for_url(f"{link_server.url}/demo/")

    wait_for_ending(first, "signed_in_elsewhere")
    text = card_text(first)
    assert "Signed in on your other device" in text
    assert "already used" not in text
    first.get_by_role("link", name="Sign in on this device too").click()
    first.get_by_label("Email address").wait_for()


def test_wrong_number_stops_the_sign_in(two_devices, link_server):
    laptop, phone = two_devices
    first = laptop.new_page()
    ask_for_link(first, link_server)
    shown = first.locator(".lk-match-number").inner_text().strip()
    other = phone.new_page()
    other.goto(newest_link(link_server))
    other.get_by_label("Number shown there").fill("10" if shown != "10" else "11")
    other.get_by_role("button", name="Approve sign-in").click()

    wait_for_ending(first, "wrong_number")
    text = card_text(first)
    assert "That number didn't match, so we stopped this sign-in" in text
    assert "Too many wrong tries" not in text
    first.get_by_role("button", name="Send a new link").click()
    first.get_by_role("heading", name="Check your email").wait_for()
    assert "We sent you a new link." in card_text(first)


def test_expired_link_offers_a_new_one(two_devices, link_server):
    laptop, _ = two_devices
    first = laptop.new_page()
    ask_for_link(first, link_server)
    with link_server.app.app_context():  # the clock moves past the ticket's lifetime
        for ticket in db.session.query(LoginTicket):
            ticket.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()

    wait_for_ending(first, "expired")
    text = card_text(first)
    assert "This link has expired" in text
    assert EMAIL in text
    first.get_by_role("button", name="Send a new link").click()
    first.get_by_role("heading", name="Check your email").wait_for()


def test_use_another_email_keeps_what_was_typed(two_devices, link_server):
    laptop, _ = two_devices
    first = laptop.new_page()
    ask_for_link(first, link_server)
    first.get_by_role("link", name="Use another email").last.click()
    field = first.get_by_label("Email address")
    field.wait_for()
    assert field.input_value() == EMAIL
