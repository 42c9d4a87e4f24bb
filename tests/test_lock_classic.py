"""The `lock-classic` theme's first screen and the start Lock makes from it: the
page carries Auth0's Universal Login `config` (state = the signed authorize request,
_csrf), and Lock's `/passwordless/start` from the page's own origin opens a ticket
for this browser without the app's secret. Lock sends `_csrf` only with links, and
the hosted pages' Referrer-Policy makes a same-origin POST say `Origin: null`, so
the call is known as the page's by its Origin or by `Sec-Fetch-Site: same-origin`."""

from __future__ import annotations

import json
import re
from urllib.parse import urlencode

import pytest
from helpers import RelyingApp

from app.accounts.clients import find_client, update_client
from app.extensions import db
from app.models import LoginTicket
from app.signin import api_tickets

EMAIL = "lee@example.com"
OWN = "http://localhost"  # the test client's origin (request.host_url)
CONFIG = re.compile(r'<script type="application/json" id="latchkey-config">(.*?)</script>', re.S)


@pytest.fixture
def shop(app) -> RelyingApp:
    shop = RelyingApp.register(app, connections=("email", "sms"))
    with app.app_context():
        update_client(find_client(shop.client_id), theme="lock-classic")
    return shop


def page_config(client, shop: RelyingApp, **params) -> dict:
    page = client.get("/authorize?" + urlencode(shop.authorize_params(**params)))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "vendor/auth0-lock.min.js" in html and 'id="auth0-lock-style" nonce="' in html
    return json.loads(CONFIG.search(html).group(1))


def lock_start(client, shop, config, **headers):
    """What Lock (auth0.js) posts for a code: auth0.js's own options as authParams."""
    body = {
        "client_id": config["clientID"],
        "connection": "email",
        "email": EMAIL,
        "send": "code",
        "authParams": {"response_type": "code", "scope": "openid email"}
        | {"redirect_uri": config["callbackURL"], "state": config["internalOptions"]["state"]},
    }
    return client.post("/passwordless/start", json=body, headers=headers)


def test_the_page_carries_universal_logins_config(client, shop):
    config = page_config(client, shop, login_hint=EMAIL)
    assert config["clientID"] == shop.client_id
    # The page's host (the issuer is https: auth0.js adds the scheme and knows it is on
    # the hosted page); Lock loads the app's settings from the page's own origin.
    assert config["auth0Domain"] == "localhost"
    assert config["clientConfigurationBaseUrl"] == "http://localhost"
    assert config["callbackURL"] == shop.callback
    assert set(config["internalOptions"]) == {"state", "_csrf", "response_type", "scope"}
    assert config["extraParams"]["connection"] == "email"
    assert config["extraParams"]["login_hint"] == EMAIL
    assert config["passwordlessMethod"] == "code"
    assert config["dict"] == {"signin": {"title": "Example App"}}
    phone = page_config(client, shop, connection="sms")
    assert phone["extraParams"]["connection"] == "sms" and phone["defaultLocation"] == "US"


@pytest.mark.parametrize(
    "headers",
    [{"Origin": OWN}, {"Origin": "null", "Sec-Fetch-Site": "same-origin"}],
    ids=["origin", "null-origin-same-site"],
)
def test_locks_start_from_the_page_opens_this_browsers_ticket(app, client, shop, headers):
    config = page_config(client, shop)
    started = lock_start(client, shop, config, **headers)
    assert started.status_code == 200, started.get_json()
    assert started.get_json()["email"] == EMAIL
    assert "latchkey_binding" in started.headers["Set-Cookie"]
    with app.app_context():
        ticket = db.session.query(LoginTicket).one()
        assert not api_tickets.is_api_ticket(ticket)
        assert ticket.authorize_params["state"] == shop.state


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Origin": "null", "Sec-Fetch-Site": "cross-site"},
        {},
    ],
    ids=["other-origin", "null-origin", "null-origin-cross-site", "no-origin"],
)
def test_anyone_else_is_an_app_that_must_show_its_secret(app, client, shop, headers):
    config = page_config(client, shop)
    refused = lock_start(client, shop, config, **headers)
    assert refused.status_code == 401
    assert refused.get_json()["error"] == "unauthorized"
    with app.app_context():
        assert db.session.query(LoginTicket).count() == 0


def test_a_forged_csrf_token_is_refused_even_from_the_page(app, client, shop):
    config = page_config(client, shop)
    body = {
        "client_id": shop.client_id,
        "connection": "email",
        "email": EMAIL,
        "send": "link",
        "authParams": {"state": config["internalOptions"]["state"], "_csrf": "forged"},
    }
    refused = client.post("/passwordless/start", json=body, headers={"Origin": OWN})
    assert refused.status_code == 401


def test_a_copy_of_the_theme_serves_its_own_page(make_app, monkeypatch, tmp_path):
    """`themes new acme --from lock-classic`, then edit acme's page: acme's shows."""
    import shutil

    from app.look import themes

    for name in themes.available():
        shutil.copytree(themes.THEMES_DIR / name, tmp_path / name)
    themes.scaffold("acme", source="lock-classic", root=tmp_path)
    page = tmp_path / "acme" / "templates" / "login" / "_lock.html"
    page.write_text(page.read_text("utf-8").replace("<main", "<main data-acme", 1), "utf-8")
    monkeypatch.setattr(themes, "THEMES_DIR", tmp_path)
    app = make_app()
    shop = RelyingApp.register(app, connections=("email", "sms"))
    with app.app_context():
        update_client(find_client(shop.client_id), theme="acme")
    for connection in ("email", "sms"):
        query = urlencode(shop.authorize_params(connection=connection))
        html = app.test_client().get(f"/authorize?{query}").get_data(as_text=True)
        assert "<main data-acme" in html
        assert "/themes/acme/static/acme.css" in html
