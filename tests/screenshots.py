"""Screenshots of every hosted page, for reviewing a theme (a helper, not a test).

    .venv/bin/python tests/screenshots.py [--theme lock] [--lang en] [--out DIR]

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

import flask
from werkzeug.serving import make_server

from app import create_app
from app.look import themes
from app.web import locale
from app.web.samples import SAMPLE_CLIENTS, screens

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
        locale.use_for_page(flask.request.args.get("lang"))
        page, context = screens()[name]
        flask.g.theme = theme
        context = {"client": SAMPLE_CLIENTS[client]} | context
        return flask.render_template(themes.template_for(page, theme), **context)

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--theme", default="lock")
    parser.add_argument("--lang", default="en")
    parser.add_argument("--out", default="test-artifacts/screenshots", type=Path)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        app = build_app(args.theme, Path(tmp) / "s.sqlite")
        with app.test_request_context():
            names = list(screens())
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
                    for client in SAMPLE_CLIENTS:
                        for name in names:
                            page.goto(f"{base}/{client}/{name}?lang={args.lang}")
                            path = args.out / f"{args.theme}-{args.lang}-{client}-{name}-{size}.png"
                            page.screenshot(path=str(path), full_page=True)
                            print(path)
                    context.close()
                browser.close()
        finally:
            server.shutdown()


if __name__ == "__main__":
    main()
