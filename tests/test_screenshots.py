"""Visual regression: every screen of both themes, at phone and desktop sizes (and the
main screens in Japanese), photographed in Debian's chromium and compared pixel by
pixel (Pillow) with the PNGs committed in docs/screenshots/.

A change that moves pixels fails here until the new pictures are committed:
`make screenshots` rewrites them (UPDATE_SCREENSHOTS=1); look at them, then commit.
One browser and one preview server serve the whole module.
"""

from __future__ import annotations

import os
from pathlib import Path

import console_samples
import pytest
from live_server import start_live_server
from PIL import Image, ImageChops

from app.web.samples import screens

ROOT = Path(__file__).resolve().parent.parent
COMMITTED = ROOT / "docs" / "screenshots"
ARTIFACTS = ROOT / "test-artifacts" / "screenshots"
PASSWORD = "screenshots-preview"
SIZES = {"phone": (390, 844), "desktop": (1280, 800)}
THEMES = ("lock", "custom")
JAPANESE = ("email", "phone", "code", "code-wrong", "link-wait", "link-elsewhere")
# A pixel counts as changed when a channel moves by more than this (anti-aliasing
# noise stays under it), and a screen fails when more than this share of its pixels
# changed: a moved line of text or a changed colour is far above it.
CHANNEL_TOLERANCE = 24
CHANGED_SHARE = 0.0005
UPDATE = bool(os.environ.get("UPDATE_SCREENSHOTS"))


@pytest.fixture(scope="module")
def preview_server(tmp_path_factory):
    server = start_live_server(tmp_path_factory.mktemp("screens"), PREVIEW_PASSWORD=PASSWORD)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def screen_names(preview_server) -> list[str]:
    with preview_server.app.test_request_context():
        return list(screens())


def preview_context(browser, size: str):
    """A browser context for the preview pages at one of SIZES."""
    width, height = SIZES[size]
    return browser.new_context(
        viewport={"width": width, "height": height},
        http_credentials={"username": "screens", "password": PASSWORD},
        reduced_motion="reduce",
    )


def shoot(browser, server, theme: str, size: str, names: list[str], lang: str) -> dict:
    """{file name: PNG bytes} for each screen, in one browser context."""
    context = preview_context(browser, size)
    page = context.new_page()
    taken = {}
    try:
        for name in names:
            page.goto(f"{server.url}/preview/themes/{theme}/{name}?lang={lang}&client=default")
            page.evaluate("document.fonts.ready")
            prefix = theme if lang == "en" else f"{theme}-{lang}"
            taken[f"{prefix}-{name}-{size}.png"] = page.screenshot(
                full_page=True, animations="disabled", caret="hide"
            )
    finally:
        context.close()
    return taken


def difference(committed: Path, fresh: Path) -> str | None:
    """Why two pictures differ beyond the tolerance, or None; writes a diff image."""
    with Image.open(committed) as old_file, Image.open(fresh) as new_file:
        old, new = old_file.convert("RGB"), new_file.convert("RGB")
        if old.size != new.size:
            return f"size {old.size} -> {new.size}"
        delta = ImageChops.difference(old, new).convert("L")
        changed = delta.point(lambda value: 255 if value > CHANNEL_TOLERANCE else 0)
        count = changed.histogram()[255]
        if count / (old.width * old.height) <= CHANGED_SHARE:
            return None
        diff = Image.blend(new, Image.new("RGB", new.size, "white"), 0.7)
        diff.paste((255, 0, 160), mask=changed)
        diff.save(fresh.with_name(fresh.stem + "-diff.png"))
        return f"{count} pixels changed"


def compare(taken: dict) -> None:
    """Each picture against its committed PNG (or, with UPDATE_SCREENSHOTS, commit it)."""
    if UPDATE:
        COMMITTED.mkdir(parents=True, exist_ok=True)
        for file_name, png in taken.items():
            (COMMITTED / file_name).write_bytes(png)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    problems = {}
    for file_name, png in taken.items():
        fresh = ARTIFACTS / file_name
        fresh.write_bytes(png)
        committed = COMMITTED / file_name
        if not committed.is_file():
            problems[file_name] = "no committed screenshot"
            continue
        why = difference(committed, fresh)
        if why:
            problems[file_name] = why
    assert not problems, (
        f"{len(problems)} screens differ from docs/screenshots/ "
        f"(new ones and *-diff.png in {ARTIFACTS.relative_to(ROOT)}/): {problems}. "
        "If the change is meant, run `make screenshots`, look at every changed PNG, "
        "and commit them with the change."
    )


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("theme", THEMES)
def test_screens_look_as_committed(browser, preview_server, screen_names, theme, size):
    taken = shoot(browser, preview_server, theme, size, screen_names, "en")
    taken |= shoot(browser, preview_server, theme, size, list(JAPANESE), "ja")
    compare(taken)


# --- The operator console -----------------------------------------------------------

CONSOLE_PAGES = {
    "console-users": "/admin/users",
    "console-user": f"/admin/users/{console_samples.PEOPLE[0][0]}",
    "console-delivery": "/admin/delivery?q=%2B447400123456",
}


@pytest.fixture(scope="module")
def console_server(tmp_path_factory):
    server = start_live_server(tmp_path_factory.mktemp("console"))
    console_samples.seed(server.app)
    yield server
    server.stop()


@pytest.mark.parametrize("size", SIZES)
def test_the_console_looks_as_committed(browser, console_server, size):
    width, height = SIZES[size]
    context = browser.new_context(
        viewport={"width": width, "height": height}, reduced_motion="reduce"
    )
    page = context.new_page()
    taken = {}
    try:
        console_samples.sign_in_in_browser(page, console_server)
        console_samples.fix_times(console_server.app)
        for name, path in CONSOLE_PAGES.items():
            page.goto(console_server.url + path)
            page.evaluate("document.fonts.ready")
            taken[f"{name}-{size}.png"] = page.screenshot(
                full_page=True, animations="disabled", caret="hide"
            )
    finally:
        context.close()
    compare(taken)


# The auth0js-custom theme replaces only the first screen, with a custom UI on auth0.js
# whose steps its script shows in turn; the code step is shown here as the script shows it.
SHOW_CODE_STEP = """(error) => {
  document.getElementById("lk-a0-start").hidden = true;
  document.getElementById("lk-a0-verify").hidden = false;
  document.getElementById("lk-a0-recipient").textContent = "pat@example.com";
  const band = document.getElementById("lk-error");
  band.textContent = error ? document.getElementById("lk-a0").dataset.msgWrongCode : "";
  band.hidden = !error;
}"""


@pytest.mark.parametrize("size", SIZES)
def test_auth0js_custom_screens_look_as_committed(browser, preview_server, size):
    context = preview_context(browser, size)
    page = context.new_page()
    taken = {}
    try:
        for name, step in [("email", None), ("phone", None), ("email", "code"), ("email", "wrong")]:
            url = f"{preview_server.url}/preview/themes/auth0js-custom/{name}?client=default"
            page.goto(url)
            page.wait_for_load_state("load")
            if step:
                page.evaluate(SHOW_CODE_STEP, step == "wrong")
            shown = {None: name, "code": "code", "wrong": "code-wrong"}[step]
            taken[f"auth0js-custom-{shown}-{size}.png"] = page.screenshot(
                full_page=True, animations="disabled", caret="hide"
            )
    finally:
        context.close()
    compare(taken)
