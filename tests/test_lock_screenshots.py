"""Visual regression of the screens drawn by Auth0's Lock widget (JavaScript on, as
they need it): the `lock-classic` theme's first screens and the demo app's embedded
Lock, at phone and desktop sizes, compared with docs/screenshots/ like every other
screen (tests/test_screenshots.py; `make screenshots` rewrites them); and axe-core
finds no serious or critical violation on them (tests/test_accessibility.py's rules)."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from test_accessibility import AXE_RUN, axe_source
from test_screenshots import ARTIFACTS, COMMITTED, SIZES, UPDATE, difference

from app.accounts.clients import create_client, update_client
from app.accounts.demo import ensure_demo_client, ensure_lock_demo_client


@pytest.fixture(scope="module")
def lock_pages(tmp_path_factory):
    """A live server with the demo apps and an app on the lock-classic theme; the paths
    of the screens to photograph."""
    from live_server import start_live_server

    server = start_live_server(tmp_path_factory.mktemp("lock-screens"), DEMO=True)
    with server.app.app_context():
        ensure_demo_client()
        ensure_lock_demo_client()
        client, _ = create_client(
            "Acme Notes", ["http://127.0.0.1:9/callback"], connections=["email", "sms"]
        )
        update_client(client, theme="lock-classic")
        query = {
            "client_id": client.client_id,
            "response_type": "code",
            "redirect_uri": "http://127.0.0.1:9/callback",
            "scope": "openid email",
            "state": "s",
        }
    pages = {
        "lock-classic-email": f"/authorize?{urlencode(query)}",
        "lock-classic-phone": f"/authorize?{urlencode({**query, 'connection': 'sms'})}",
        "lock-embedded-email": "/demo/lock/",
        "lock-embedded-phone": "/demo/lock/?connection=sms",
    }
    yield server, pages
    server.stop()


def open_lock(page, url: str) -> None:
    page.goto(url)
    page.locator(".auth0-lock-input-block input").first.wait_for()
    page.wait_for_timeout(1500)  # Lock fades its widget in


@pytest.mark.parametrize("size", SIZES)
def test_lock_screens_look_as_committed(browser, lock_pages, size):
    server, pages = lock_pages
    width, height = SIZES[size]
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    problems = {}
    try:
        for name, path in pages.items():
            open_lock(page, server.url + path)
            png = page.screenshot(full_page=True, animations="disabled", caret="hide")
            file_name = f"{name}-{size}.png"
            if UPDATE:
                (COMMITTED / file_name).write_bytes(png)
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            fresh = ARTIFACTS / file_name
            fresh.write_bytes(png)
            committed = COMMITTED / file_name
            if not committed.is_file():
                problems[file_name] = "no committed screenshot"
            elif why := difference(committed, fresh):
                problems[file_name] = why
    finally:
        context.close()
    assert not problems, f"Lock screens differ from docs/screenshots/: {problems}"


@pytest.mark.parametrize("size", SIZES)
def test_axe_finds_no_serious_violations_on_locks_screens(browser, lock_pages, size):
    server, pages = lock_pages
    source = axe_source()
    width, height = SIZES[size]
    context = browser.new_context(viewport={"width": width, "height": height}, bypass_csp=True)
    page = context.new_page()
    found = {}
    try:
        for name, path in pages.items():
            open_lock(page, server.url + path)
            page.add_script_tag(content=source)
            if violations := page.evaluate(AXE_RUN):
                found[name] = violations
    finally:
        context.close()
    assert found == {}
