"""Screenshots of every hosted page, for reviewing a theme (a helper, not a test).

    .venv/bin/python tests/screenshots.py [--theme lock] [--out test-artifacts/screenshots]

Renders each page with sample context in a throwaway app, serves it on a free
loopback port and photographs it with Debian's chromium (never a downloaded
browser) at phone (390x844) and desktop (1280x800) sizes, with JavaScript off,
as a user without JavaScript sees it.
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import threading
from pathlib import Path
from types import SimpleNamespace

import flask
from werkzeug.serving import make_server

from app import create_app, phones, themes
from app.web.forms import ActionForm, CodeForm, EmailForm, NumberForm, PhoneForm

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORTS = {"phone": (390, 844), "desktop": (1280, 800)}
CLIENTS = {
    "default": SimpleNamespace(
        name="Acme Notes", logo_url=None, primary_color=None, background_color=None
    ),
    "branded": SimpleNamespace(
        name="Lock Classic", logo_url=None, primary_color="#ea5323", background_color="#2b2d42"
    ),
}
BACK_URL = "/authorize?client_id=sample"


def sample_pages() -> dict[str, tuple[str, dict]]:
    """Each sample: a name, the page's template and its view context (see app/web/login.py)."""
    code = {
        "form": CodeForm(formdata=None),
        "resend_form": ActionForm(formdata=None),
        "ticket_id": "sample",
        "recipient": "alice@example.com",
        "code_length": 6,
        "error": None,
        "notice": None,
        "back_url": BACK_URL,
    }
    dead = {
        "recipient": "alice@example.com",
        "restart_form": ActionForm(formdata=None),
        "ticket_id": "sample",
        "back_url": BACK_URL,
    }
    switch = {"email": BACK_URL + "&connection=email", "sms": BACK_URL + "&connection=sms"}
    phone = {
        "form": PhoneForm(formdata=None, country="GB"),
        "countries": phones.countries("en"),
        "switch": switch,
        "error": None,
    }
    pages = {
        "email": ("login/email.html", {"form": EmailForm(formdata=None), "error": None}),
        "email-switch": (
            "login/email.html",
            {"form": EmailForm(formdata=None), "error": None, "switch": switch},
        ),
        "phone": ("login/phone.html", phone),
        "phone-error": (
            "login/phone.html",
            phone | {"error": "Too many codes were sent to this number. Try again in 7 minutes."},
        ),
        "code-sms": (
            "login/code.html",
            code | {"channel": "sms", "recipient": "+44 7400 123456"},
        ),
        "email-error": (
            "login/email.html",
            {"form": EmailForm(formdata=None), "error": "That doesn't look like an email address."},
        ),
        "code": ("login/code.html", code),
        "code-wrong": ("login/code.html", code | {"error": "That code isn't right. 2 tries left."}),
        "code-resent": ("login/code.html", code | {"notice": "We sent the code again."}),
        "error": (
            "error.html",
            {
                "client": None,
                "status": 400,
                "title": "This link can't be used",
                "message": "The app sent you here with a link it isn't allowed to use "
                "(redirect_uri not registered). Tell the app's developer.",
            },
        ),
    }
    pages["switch"] = (
        "login/switch.html",
        {
            "action": "/login/start",
            "fields": {"email": "sam@example.com", "authz": "sample", "switch": "1"},
            "csrf_form": ActionForm(formdata=None),
            "current": "alice@example.com",
            "email": "sam@example.com",
            "back_url": BACK_URL,
        },
    )
    pages["throttled"] = (
        "error.html",
        {
            "client": None,
            "status": 429,
            "title": "Too many tries",
            "message": "Please wait 15 minutes and try again.",
        },
    )
    pages["email-signup-disabled"] = (
        "login/email.html",
        {
            "form": EmailForm(formdata=None),
            "error": "Sign-up is disabled. Use the address of an existing account.",
        },
    )
    for reason in ("expired", "attempts", "used", "other_browser"):
        pages[f"dead-{reason}"] = ("login/dead.html", dead | {"reason": reason})
    pages |= link_pages()
    return pages


def link_pages() -> dict[str, tuple[str, dict]]:
    """The magic-link pages (see app/web/links.py)."""
    token = "sample-token"
    device = {"browser": "Chrome", "system": "macOS", "time": "09:41", "minutes_ago": 2}
    wait = {
        "ticket_id": "sample",
        "recipient": "alice@example.com",
        "match_number": "42",
        "approved": False,
        "resend_form": ActionForm(formdata=None),
        "finish_form": ActionForm(formdata=None),
        "notice": None,
        "back_url": BACK_URL,
    }
    elsewhere = {
        "token": token,
        "device": device,
        "form": NumberForm(formdata=None),
        "code_length": 6,
        "can_continue_here": True,
    }
    dead = {"token": token, "can_renew": True, "renew_form": ActionForm(formdata=None)}
    pages = {
        "link-wait": ("login/wait.html", wait),
        "link-wait-approved": ("login/wait.html", wait | {"approved": True}),
        "link-open": ("login/link.html", {"token": token, "form": ActionForm(formdata=None)}),
        "link-elsewhere": ("login/link_elsewhere.html", elsewhere),
        "link-here": (
            "login/link_here.html",
            {"token": token, "recipient": "alice@example.com", "form": ActionForm(formdata=None)},
        ),
        "link-approved": ("login/link_approved.html", {"device": device}),
        "link-sent": ("login/link_sent.html", {"recipient": "alice@example.com"}),
    }
    for reason in ("expired", "used", "wrong_number", "tampered"):
        renew = reason != "tampered"
        pages[f"link-dead-{reason}"] = (
            "login/link_dead.html",
            dead | {"reason": reason, "can_renew": renew},
        )
    return pages


def build_app(theme: str, database: Path) -> flask.Flask:
    """A testing app with one extra route that renders a sample page."""
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "screenshots-only",
            "ISSUER": "http://127.0.0.1",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
            "DISPATCHER_THREAD": False,
            "RATELIMIT_ENABLED": False,
        }
    )

    @app.get("/_screenshots/<client>/<name>")
    def sample(client: str, name: str):
        page, context = sample_pages()[name]
        flask.g.theme = theme
        context = {"client": CLIENTS[client]} | context
        return flask.render_template(themes.template_for(page, theme), **context)

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--theme", default="lock")
    parser.add_argument("--out", default="test-artifacts/screenshots", type=Path)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        app = build_app(args.theme, Path(tmp) / "s.sqlite")
        with app.test_request_context():
            names = list(sample_pages())
        server = make_server("127.0.0.1", 0, app)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}/_screenshots"
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                for size, (width, height) in VIEWPORTS.items():
                    context = browser.new_context(
                        viewport={"width": width, "height": height}, java_script_enabled=False
                    )
                    page = context.new_page()
                    for client in CLIENTS:
                        for name in names:
                            page.goto(f"{base}/{client}/{name}")
                            path = args.out / f"{args.theme}-{client}-{name}-{size}.png"
                            page.screenshot(path=str(path), full_page=True)
                            print(path)
                    context.close()
                browser.close()
        finally:
            server.shutdown()


if __name__ == "__main__":
    main()
