"""The operator console in Debian's chromium: an admin signs in with a code, finds a
user, blocks them; the template editor's preview follows the typing."""

from __future__ import annotations

import pytest
from console_samples import ADMIN, PEOPLE, seed, sign_in_in_browser
from helpers import LoginPage, RelyingApp
from test_accessibility import AXE_RUN, axe_source

from app.accounts import users
from app.extensions import db
from app.models import BrowserSession


@pytest.fixture
def console_server(live_server):
    server = live_server()
    seed(server.app)
    return server


@pytest.mark.parametrize("viewport", [(1280, 800), (390, 844)], ids=["desktop", "phone"])
def test_an_admin_finds_a_user_and_blocks_them(browser, console_server, viewport):
    app = console_server.app
    relying_app = RelyingApp.register(app)
    person = LoginPage(app.test_client())
    assert person.sign_in("ben@example.org", **relying_app.authorize_params()).status_code == 302
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
    page = context.new_page()
    try:
        sign_in_in_browser(page, console_server)
        assert ADMIN in page.locator("header").inner_text()

        page.get_by_label("Email address or phone number").fill("ben@")
        page.get_by_role("button", name="Search").click()
        rows = page.locator("tbody tr")
        assert rows.count() == 1
        rows.get_by_role("link", name="ben@example.org").click()

        page.get_by_role("button", name="Block and end their sessions").click()
        assert "Blocked. Their sessions have ended." in page.get_by_role("status").inner_text()
        assert page.get_by_role("button", name="Unblock").is_visible()
        with app.app_context():
            ben = users.find_by_identity("email", "ben@example.org")
            assert ben.blocked
            live = db.session.query(BrowserSession).filter_by(user_id=ben.id, ended_at=None)
            assert live.count() == 0

        page.get_by_role("button", name="Unblock").click()
        assert page.get_by_role("status").inner_text() == "Unblocked."
    finally:
        context.close()


def test_the_template_preview_follows_the_typing(browser, console_server):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    try:
        sign_in_in_browser(page, console_server)
        page.goto(f"{console_server.url}/admin/connections/email/templates/email_code?part=subject")
        preview = page.frame_locator("iframe[name=co-preview]")
        assert "is your code" in preview.locator("body").inner_text()
        source = page.get_by_label("Liquid source (subject, en)")
        source.fill("Welcome back to {{ application.name }}")
        preview.get_by_text("Welcome back to Acme Notes").wait_for()
        source.fill("{{ nope }}")
        preview.locator(".error", has_text="nope").wait_for()
    finally:
        context.close()


def test_the_delivery_view_on_a_phone(browser, console_server):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        sign_in_in_browser(page, console_server)
        page.get_by_role("link", name="Delivery").click()
        page.get_by_label("Email address or phone number").fill("+44 7400 123456")
        page.get_by_role("button", name="Look").click()
        text = page.locator("main").inner_text()
        assert "gateway HTTP 500" in text and "retry in 10 s" in text
        assert PEOPLE[0][0] in text  # the owner's sub, linked
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"
    finally:
        context.close()


CONSOLE_PAGES = (
    "/admin/users",
    f"/admin/users/{PEOPLE[0][0]}",
    "/admin/delivery?q=%2B447400123456",
    "/admin/apps",
    "/admin/connections/sms",
    "/admin/connections/email/templates/email_code?part=subject",
)


@pytest.mark.parametrize("viewport", [(1280, 800), (390, 844)], ids=["desktop", "phone"])
def test_the_console_passes_axe(browser, console_server, viewport):
    """axe-core (WCAG 2.1 A and AA, best practice): no serious or critical violation."""
    context = browser.new_context(
        viewport={"width": viewport[0], "height": viewport[1]}, bypass_csp=True
    )
    page = context.new_page()
    found = {}
    try:
        sign_in_in_browser(page, console_server)
        for path in CONSOLE_PAGES:
            page.goto(console_server.url + path)
            page.add_script_tag(content=axe_source())
            violations = page.evaluate(AXE_RUN)
            if violations:
                found[path] = violations
    finally:
        context.close()
    assert not found, found
