"""Accessibility in Debian's chromium: axe-core over every screen of both themes at
phone and desktop sizes, reflow at 320 px and 200% zoom, keyboard focus.

axe-core comes from npm (package.json; `make test` installs it into node_modules)
and is injected into each page (the context bypasses the page's CSP for that).
The screenshots in docs/screenshots/ are tests/test_screenshots.py's (`make screenshots`).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from app.look import themes

ROOT = Path(__file__).resolve().parent.parent
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
PASSWORD = "a11y-preview"
SIZES = {"phone": (390, 844), "desktop": (1280, 800)}
SCREENS = (
    "email",
    "email-switch",
    "phone",
    "phone-error",
    "code-sms",
    "email-error",
    "code",
    "code-wrong",
    "code-resent",
    "dead-expired",
    "dead-attempts",
    "dead-used",
    "dead-other_browser",
    "error",
    "switch",
    "throttled",
    "email-signup-disabled",
    "link-wait",
    "link-wait-approved",
    "link-open",
    "link-elsewhere",
    "link-here",
    "link-approved",
    "link-sent",
    "link-dead-expired",
    "link-dead-used",
    "link-dead-wrong_number",
    "link-dead-tampered",
    "link-ended-signed_in_here",
    "link-ended-signed_in_elsewhere",
    "link-ended-wrong_number",
    "link-ended-expired",
)
AXE_RUN = """async () => {
  const result = await axe.run(document, {
    runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
  });
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}"""


@pytest.fixture
def preview_server(live_server):
    return live_server(PREVIEW_PASSWORD=PASSWORD)


def axe_source() -> str:
    if not AXE.is_file():
        pytest.fail(f"axe-core is not installed at {AXE}: run `make test` (npm install).")
    return AXE.read_text(encoding="utf-8")


def new_page(browser, size, **options):
    context = browser.new_context(
        viewport={"width": size[0], "height": size[1]},
        bypass_csp=True,
        http_credentials={"username": "a11y", "password": PASSWORD},
        **options,
    )
    return context, context.new_page()


def screen_url(server, theme, screen, lang="en", client="default") -> str:
    return f"{server.url}/preview/themes/{theme}/{screen}?lang={lang}&client={client}"


@pytest.mark.parametrize("size", SIZES, ids=list(SIZES))
@pytest.mark.parametrize("theme", ["lock", "custom"])
def test_axe_finds_no_serious_violations(browser, preview_server, theme, size):
    assert theme in themes.available()
    source = axe_source()
    context, page = new_page(browser, SIZES[size])
    found = {}
    try:
        for lang, client in (("en", "default"), ("en", "branded"), ("de", "branded")):
            for screen in SCREENS:
                page.goto(screen_url(preview_server, theme, screen, lang, client))
                page.add_script_tag(content=source)
                violations = page.evaluate(AXE_RUN)
                if violations:
                    found[f"{screen} {lang} {client}"] = violations
    finally:
        context.close()
    assert found == {}


# The auth0js-custom theme's own screen: its first step, then (as its script shows it)
# the code step with an error.
SHOW_CODE_STEP = """() => {
  document.getElementById("lk-a0-start").hidden = true;
  document.getElementById("lk-a0-verify").hidden = false;
  document.getElementById("lk-a0-recipient").textContent = "pat@example.com";
  const band = document.getElementById("lk-error");
  band.textContent = document.getElementById("lk-a0").dataset.msgWrongCode;
  band.hidden = false;
}"""


@pytest.mark.parametrize("size", SIZES, ids=list(SIZES))
def test_axe_finds_no_serious_violations_on_the_auth0js_custom_page(browser, preview_server, size):
    source = axe_source()
    context, page = new_page(browser, SIZES[size])
    found = {}
    try:
        for lang, client in (("en", "default"), ("de", "branded")):
            for screen in ("email", "phone"):
                for step in ("start", "code"):
                    page.goto(screen_url(preview_server, "auth0js-custom", screen, lang, client))
                    page.wait_for_load_state("load")
                    if step == "code":
                        page.evaluate(SHOW_CODE_STEP)
                    page.add_script_tag(content=source)
                    violations = page.evaluate(AXE_RUN)
                    if violations:
                        found[f"{screen} {step} {lang} {client}"] = violations
    finally:
        context.close()
    assert found == {}


@pytest.mark.parametrize(
    "viewport, scale",
    [((320, 640), 1), ((640, 400), 2)],
    ids=["320px", "200pct-zoom"],
)
@pytest.mark.parametrize("theme", ["lock", "custom"])
def test_pages_reflow_without_sideways_scrolling(browser, preview_server, theme, viewport, scale):
    """WCAG 1.4.10: at 320 CSS px (and a 1280 px window at 200% zoom) nothing scrolls sideways."""
    context, page = new_page(browser, viewport, device_scale_factor=scale)
    wide = []
    try:
        for screen in SCREENS:
            page.goto(screen_url(preview_server, theme, screen, "de", "branded"))
            overflow = page.evaluate(
                "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            if overflow > 0:
                wide.append(f"{screen}: {overflow}px")
            submit = page.locator(".lk-submit")
            assert submit.count() == 0 or submit.first.is_visible(), screen
    finally:
        context.close()
    assert wide == []


@pytest.mark.parametrize("theme", ["lock", "custom"])
def test_keyboard_focus_order_and_visible_focus(browser, preview_server, theme):
    context, page = new_page(browser, SIZES["desktop"])
    try:
        page.goto(screen_url(preview_server, theme, "code-wrong"))
        # The code field has focus first (autofocus), and says why it is invalid.
        focused = page.evaluate("() => document.activeElement.name")
        assert focused == "code"
        described = page.get_attribute("input[name=code]", "aria-describedby")
        assert "lk-error" in described.split()
        assert page.get_attribute("#lk-error", "role") == "alert"

        order = []
        for _ in range(3):
            page.keyboard.press("Tab")
            order.append(
                page.evaluate(
                    "() => { const e = document.activeElement;"
                    " return [e.textContent.trim(), getComputedStyle(e).outlineStyle]; }"
                )
            )
        assert [name for name, _ in order] == [
            "Resend code",
            "Use another email",
            "Continue",
        ], order
        assert all(outline != "none" for _, outline in order), order
        # Before the field: only the back arrow (in the card's header), then the page ends.
        page.focus("input[name=code]")
        page.keyboard.press("Shift+Tab")
        assert page.evaluate("() => document.activeElement.classList.contains('lk-back')")
    finally:
        context.close()
