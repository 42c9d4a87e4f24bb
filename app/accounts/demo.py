"""The demo relying apps' registrations: a regular client with a derived secret, and a
single-page app (public, PKCE) built on auth0-spa-js."""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlsplit

from flask import current_app

from app.accounts.clients import validate_origin
from app.accounts.connections import get_connection
from app.config import base_url
from app.extensions import db
from app.models import Client, sha256_hex

DEMO_CLIENT_ID = "demo"
# The demo page with Lock embedded (/demo/lock/): a single-page app, as Auth0 asks of
# embedded passwordless (a browser keeps no secret), on the server's own origin.
DEMO_LOCK_CLIENT_ID = "demo-lock"
# The demo's "auth0.js embedded" page (/demo/auth0js): a single-page app (public, PKCE)
# whose own page signs in with auth0.js across origins.
DEMO_AUTH0JS_CLIENT_ID = "demo-auth0js"
DEMO_SPA_CLIENT_ID = "demo-spa"
# The SPA demo's own name (templates/demo/spa.html).
DEMO_SPA_NAME = "Planner"
# The hosted page as Auth0's own front ends draw it: the real Lock widget, and a custom
# UI on auth0.js (each theme's demo app; the `demo` app keeps the default theme).
HOSTED_THEME_CLIENTS = {
    "lock-classic": "demo-lock-classic",
    "auth0js-custom": "demo-auth0js-custom",
}
# The name the demo app gives itself on its own page (templates/demo/index.html).
DEMO_NAME = "Notebook"
# `make run` sends demo SMS codes (to the dev outbox) to this country only.
DEMO_COUNTRY = "US"


def demo_secret() -> str:
    """Derived from SECRET_KEY, so every process knows it without storing it."""
    key = current_app.config["SECRET_KEY"]
    key = key.encode() if isinstance(key, str) else key
    return hmac.new(key, b"latchkey.demo-client", hashlib.sha256).hexdigest()


def ensure_demo_client() -> tuple[Client, bool]:
    """Create or refresh the demo client (email and sms); returns (client, created).

    An sms connection with no allowed countries is limited to DEMO_COUNTRY, so a
    demo server is never an open SMS relay; an operator's own list is kept.
    """
    base = base_url(current_app.config)
    client = db.session.query(Client).filter_by(client_id=DEMO_CLIENT_ID).first()
    created = client is None
    if created:
        client = Client(
            client_id=DEMO_CLIENT_ID, client_type="regular", connections=["email", "sms"]
        )
        db.session.add(client)
    client.name = DEMO_NAME
    client.client_secret_hash = sha256_hex(demo_secret())
    client.redirect_uris = [f"{base}/demo/callback"]
    client.logout_urls = [f"{base}/demo/"]
    sms = get_connection("sms")
    if not sms.allowed_countries:
        sms.allowed_countries = [DEMO_COUNTRY]
        sms.default_country = sms.default_country or DEMO_COUNTRY
    client.initiate_login_uri = f"{base}/demo/login"
    _ensure_auth0js_client(base)
    _ensure_hosted_theme_clients(base)
    db.session.commit()
    return client, created


def _ensure_hosted_theme_clients(base: str) -> None:
    """One regular app per Auth0 look of the hosted page (HOSTED_THEME_CLIENTS): the demo
    app's callback and secret, its page in that theme (/demo/login?theme=…)."""
    for theme, client_id in HOSTED_THEME_CLIENTS.items():
        client = db.session.query(Client).filter_by(client_id=client_id).first()
        if client is None:
            client = Client(client_id=client_id, client_type="regular")
            db.session.add(client)
        client.name = DEMO_NAME
        client.theme = theme
        client.connections = ["email", "sms"]
        client.client_secret_hash = sha256_hex(demo_secret())
        client.redirect_uris = [f"{base}/demo/callback"]
        client.logout_urls = [f"{base}/demo/"]


def _ensure_auth0js_client(base: str) -> None:
    """The /demo/auth0js page's app: an spa whose web origin is this server's."""
    client = db.session.query(Client).filter_by(client_id=DEMO_AUTH0JS_CLIENT_ID).first()
    if client is None:
        client = Client(client_id=DEMO_AUTH0JS_CLIENT_ID, client_type="spa")
        db.session.add(client)
    parts = urlsplit(base)
    client.name = f"{DEMO_NAME} (auth0.js)"
    client.connections = ["email", "sms"]
    client.redirect_uris = [f"{base}/demo/auth0js"]
    client.web_origins = [f"{parts.scheme}://{parts.netloc}".lower()]


def ensure_demo_spa_client() -> tuple[Client, bool]:
    """Create or refresh the SPA demo (/demo/spa/, same origin as this server): its page
    is its callback and its logout URL, its origin a web origin (token calls, silent
    sign-in with web_message)."""
    base = base_url(current_app.config)
    page = f"{base}/demo/spa/"
    parts = urlsplit(base)
    client = db.session.query(Client).filter_by(client_id=DEMO_SPA_CLIENT_ID).first()
    created = client is None
    if created:
        client = Client(client_id=DEMO_SPA_CLIENT_ID, client_type="spa", connections=["email"])
        db.session.add(client)
    client.name = DEMO_SPA_NAME
    client.redirect_uris = [page]
    client.logout_urls = [page]
    client.web_origins = [validate_origin(f"{parts.scheme}://{parts.netloc}")]
    db.session.commit()
    return client, created


def ensure_lock_demo_client() -> Client:
    """Create or refresh the embedded-Lock demo's client: a SPA whose web origin and
    callback are this server's own (/demo/lock/), with email and sms."""
    base = base_url(current_app.config)
    client = db.session.query(Client).filter_by(client_id=DEMO_LOCK_CLIENT_ID).first()
    if client is None:
        client = Client(client_id=DEMO_LOCK_CLIENT_ID, client_type="spa")
        db.session.add(client)
    client.name = DEMO_NAME
    client.connections = ["email", "sms"]
    client.redirect_uris = [f"{base}/demo/lock/callback"]
    client.web_origins = [base.lower()]
    client.logout_urls = [f"{base}/demo/"]
    db.session.commit()
    return client
