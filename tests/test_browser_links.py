"""Magic links in Debian's chromium: two browser contexts are two browsers."""

from __future__ import annotations

import pytest
from helpers import messages_to

from app.accounts.connections import update_connection
from app.accounts.demo import ensure_demo_client
from app.extensions import db
from app.models import LoginTicket

EMAIL = "ada@example.com"
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 800}


@pytest.fixture
def link_server(live_server):
    server = live_server(DEMO=True)
    with server.app.app_context():
        ensure_demo_client()
        update_connection("email", send="link")
    return server


def ask_for_link(page, server) -> None:
    page.goto(f"{server.url}/demo/")
    page.get_by_role("link", name="Sign in").click()
    page.get_by_label("Email address").fill(EMAIL)
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="Check your email").wait_for()


def newest_link(server) -> str:
    return messages_to(server.app, EMAIL)[-1].link


def match_number(server) -> str:
    with server.app.app_context():
        ticket = db.session.query(LoginTicket).order_by(LoginTicket.created_at.desc()).first()
        return ticket.match_number


def test_approve_with_the_number_in_another_browser(browser, link_server):
    laptop = browser.new_context(viewport=LAPTOP)
    phone = browser.new_context(viewport=PHONE)
    try:
        first = laptop.new_page()
        ask_for_link(first, link_server)
        shown = first.locator(".lk-match-number").inner_text().strip()
        assert shown == match_number(link_server)

        other = phone.new_page()
        other.goto(newest_link(link_server))
        assert "This link was opened in another browser" in other.locator("main").inner_text()
        other.get_by_label("Number shown there").fill(shown)
        other.get_by_role("button", name="Approve sign-in").click()
        other.get_by_role("heading", name="Sign-in approved").wait_for()

        first.wait_for_url(f"{link_server.url}/demo/", timeout=15_000)
        assert f"Signed in as {EMAIL}" in first.locator("body").inner_text()
        assert "Signed in" not in other.locator("body").inner_text()
    finally:
        laptop.close()
        phone.close()


def test_same_browser_one_click_lands_in_the_app(browser, link_server):
    context = browser.new_context(viewport=LAPTOP)
    try:
        page = context.new_page()
        ask_for_link(page, link_server)
        mail = context.new_page()  # the link opens in a new tab of the same browser
        mail.goto(newest_link(link_server))
        mail.wait_for_url(f"{link_server.url}/demo/")
        assert f"Signed in as {EMAIL}" in mail.locator("body").inner_text()
    finally:
        context.close()


def test_continue_on_this_device_through_the_demo_initiate_login(browser, link_server):
    laptop = browser.new_context(viewport=LAPTOP)
    phone = browser.new_context(viewport=PHONE)
    try:
        ask_for_link(laptop.new_page(), link_server)
        other = phone.new_page()
        other.goto(newest_link(link_server))
        other.get_by_role("link", name="Continue on this device instead").click()
        other.get_by_role("button", name="Yes, continue here").click()
        other.wait_for_url(f"{link_server.url}/demo/")
        assert f"Signed in as {EMAIL}" in other.locator("body").inner_text()
    finally:
        laptop.close()
        phone.close()
