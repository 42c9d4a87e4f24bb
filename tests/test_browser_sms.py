"""A person signs in to the demo app by SMS, in Debian's chromium: picks a country,
types a national number, reads the code from the SMS gateway and types it."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.accounts.connections import update_connection
from app.accounts.demo import ensure_demo_client

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


@pytest.fixture
def demo_server(live_server, gateway):
    server = live_server(DEMO=True, **gateway.config(DISPATCHER_THREAD=True))
    with server.app.app_context():
        ensure_demo_client()
        update_connection("sms", allowed_countries=["US", "GB", "DE"])
    return server


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("viewport", [(1280, 800), (390, 844)], ids=["desktop", "phone"])
def test_sign_in_to_the_demo_app_with_an_sms_code(
    browser, demo_server, gateway, javascript, viewport
):
    context = browser.new_context(
        java_script_enabled=javascript, viewport={"width": viewport[0], "height": viewport[1]}
    )
    page = context.new_page()
    try:
        page.goto(f"{demo_server.url}/demo/")
        page.get_by_role("link", name="Sign in").click()
        page.get_by_role("link", name="Phone").click()

        if javascript:
            # The enhanced input, not the plain <select> it replaces (both are comboboxes
            # named "Country"; the script may not have run yet when the page appears).
            picker = page.get_by_role("combobox", name="Country").and_(page.locator("input"))
            picker.click()
            picker.fill("king")
            options = page.get_by_role("option")
            assert options.all_inner_texts() == ["United Kingdom (+44)"]
            picker.press("Enter")
            assert picker.input_value() == "United Kingdom (+44)"
            picker.fill("+49")  # by dialing code, then with the keyboard only
            picker.press("ArrowDown")
            picker.press("Enter")
            assert picker.input_value() == "Germany (+49)"
            picker.fill("unit")
            picker.press("ArrowDown")  # Germany is gone: United Kingdom, United States
            picker.press("ArrowUp")
            picker.press("Enter")
            assert picker.input_value() == "United Kingdom (+44)"
        else:
            page.get_by_label("Country").select_option("GB")
        page.get_by_label("Phone number").fill("07400 123456")
        page.get_by_role("button", name="Continue").click()
        assert "+44 7400 123456" in page.locator("main").inner_text()

        sms = gateway.wait_for(1)
        assert sms.body["recipient"] == "+447400123456"
        page.get_by_label("Code").fill(sms.code)
        page.get_by_role("button", name="Continue").click()

        page.wait_for_url(f"{demo_server.url}/demo/")
        text = page.locator("body").inner_text()
        assert "Signed in as +447400123456" in text
        assert "phone_number_verified" in text
        ARTIFACTS.mkdir(exist_ok=True)
        name = f"demo-sms-signed-in-{'js' if javascript else 'nojs'}-{viewport[0]}.png"
        page.screenshot(path=str(ARTIFACTS / name), full_page=True)
    finally:
        context.close()


def test_country_picker_finds_names_in_both_languages_iso_codes_and_dialing_codes(
    browser, demo_server
):
    with demo_server.app.app_context():
        update_connection("sms", allowed_countries=["US", "GB", "DE", "FR"])
    context = browser.new_context(locale="fr-FR", viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        page.goto(f"{demo_server.url}/demo/login")
        page.get_by_role("link", name="Téléphone").click()
        picker = page.get_by_role("combobox", name="Pays").and_(page.locator("input"))
        picker.wait_for()
        row = page.locator(".lk-input-wrap--select")
        assert row.locator(".lk-input-icon svg").is_visible()  # the globe cell
        assert row.locator(".lk-select-chevron svg").is_visible()
        found = {}
        for typed in ("fra", "France", "germany", "Allem", "deu", "gb", "+33", "33", "royaume"):
            picker.fill(typed)
            found[typed] = page.get_by_role("option").all_inner_texts()
        assert found == {
            "fra": ["France (+33)"],
            "France": ["France (+33)"],
            "germany": ["Allemagne (+49)"],
            "Allem": ["Allemagne (+49)"],
            "deu": ["Allemagne (+49)"],
            "gb": ["Royaume-Uni (+44)"],
            "+33": ["France (+33)"],
            "33": ["France (+33)"],
            "royaume": ["Royaume-Uni (+44)"],
        }
        picker.fill("zzz")
        assert page.locator(".lk-combobox-empty").inner_text() == "Aucun pays ne correspond"
    finally:
        context.close()


def test_use_another_number_keeps_the_number_and_country(browser, demo_server, gateway):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    try:
        page.goto(f"{demo_server.url}/demo/login")
        page.get_by_role("link", name="Phone").click()
        picker = page.get_by_role("combobox", name="Country").and_(page.locator("input"))
        picker.fill("gb")
        picker.press("Enter")
        page.get_by_label("Phone number").fill("07400 123456")
        page.get_by_role("button", name="Continue").click()
        gateway.wait_for(1)
        page.get_by_role("link", name="Use another number").first.click()
        field = page.get_by_label("Phone number")
        field.wait_for()
        assert field.input_value() == "+44 7400 123456"
        assert picker.input_value() == "United Kingdom (+44)"
    finally:
        context.close()
