"""The auth0js-custom theme: its copy of auth0.js is the pinned npm build, and its page
carries the config auth0.js needs, injected as Universal Login injects it."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

from helpers import RelyingApp

from app.accounts.clients import find_client, update_client
from app.signin import link_tokens

ROOT = Path(__file__).resolve().parent.parent
THEME_STATIC = ROOT / "themes" / "auth0js-custom" / "static"


def pinned_auth0_js() -> str:
    lock = json.loads((ROOT / "package-lock.json").read_text())
    return lock["packages"]["node_modules/auth0-js"]["version"]


def test_the_theme_serves_the_pinned_auth0_js_build():
    version = pinned_auth0_js()
    package = json.loads((ROOT / "package.json").read_text())
    shipped = sorted(p.name for p in THEME_STATIC.glob("auth0-*.min.js"))

    assert package["devDependencies"]["auth0-js"] == version  # pinned exactly
    assert shipped == [f"auth0-{version}.min.js"]
    built = ROOT / "node_modules" / "auth0-js" / "dist" / "auth0.min.js"
    assert (THEME_STATIC / shipped[0]).read_bytes() == built.read_bytes()
    page = ROOT / "themes" / "auth0js-custom" / "templates" / "login" / "_auth0js_page.html"
    assert f"auth0-{version}.min.js" in page.read_text()


def page_config(html: str) -> dict:
    encoded = re.search(r'window\.atob\("([A-Za-z0-9+/=]+)"\)', html).group(1)
    return json.loads(base64.b64decode(encoded))


def test_the_page_injects_universal_logins_config(app, client):
    shop = RelyingApp.register(app, "spa", callbacks=("https://shop.example/cb",))
    with app.app_context():
        update_client(find_client(shop.client_id), theme="auth0js-custom")

    page = client.get("/authorize", query_string=shop.authorize_params(login_hint="a@b.co"))

    html = page.get_data(as_text=True)
    assert page.status_code == 200
    config = page_config(html)
    assert config["auth0Domain"] == "localhost"
    assert config["clientID"] == shop.client_id
    assert config["callbackURL"] == "https://shop.example/cb"
    assert config["authorizationServer"]["issuer"] == "https://latchkey.test"
    assert config["extraParams"] == {"login_hint": "a@b.co"}
    assert config["passwordless"] == {"email": "code"}
    options = config["internalOptions"]
    assert options["response_type"] == "code" and options["_csrf"]
    with app.app_context():
        assert link_tokens.load_authorize_request(options["state"])["state"] == shop.state
    assert 'nonce="' in html and "script-src 'nonce-" in page.headers["Content-Security-Policy"]
    assert "/themes/auth0js-custom/static/auth0-" in html
