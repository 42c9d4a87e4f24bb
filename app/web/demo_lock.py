"""The demo page with Auth0's Lock passwordless widget embedded (/demo/lock/), as an
app that embeds Lock does it: Lock sends the code (`/passwordless/start`) and signs in
through cross-origin authentication; the callback exchanges the code (PKCE, no
secret: the `demo-lock` client is a SPA) and the demo app shows the ID token."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from authlib.integrations.flask_client import OAuth
from flask import Blueprint, current_app, render_template, request, url_for

from app.accounts.demo import DEMO_LOCK_CLIENT_ID, DEMO_NAME
from app.config import base_url

from . import demo

bp = Blueprint("demo_lock", __name__, url_prefix="/demo/lock")

# What Lock passes on to /authorize (auth.params); the rest it sets itself.
LOCK_PARAMS = ("scope", "state", "nonce", "code_challenge", "code_challenge_method")


@bp.record_once
def register_client(state):
    oauth = OAuth(state.app)
    state.app.extensions["latchkey_lock_demo_oauth"] = oauth
    oauth.register(
        "latchkey",
        client_id=DEMO_LOCK_CLIENT_ID,
        server_metadata_url=f"{state.app.config['ISSUER']}/.well-known/openid-configuration",
        client_kwargs={
            "scope": "openid email phone",
            "code_challenge_method": "S256",
            "token_endpoint_auth_method": "none",
        },
    )


def _client():
    return current_app.extensions["latchkey_lock_demo_oauth"].create_client("latchkey")


def lock_options(issuer: str, callback: str, params: dict, connection: str, send: str) -> dict:
    """The options the page hands to `new Auth0LockPasswordless(…)` (templates/demo/lock.html)."""
    return {
        "clientID": DEMO_LOCK_CLIENT_ID,
        "domain": issuer,
        "connection": connection,
        "passwordlessMethod": send,
        "redirectUrl": callback,
        "params": params,
        "logo": f"{issuer}/static/favicon.svg",
        "title": DEMO_NAME,
    }


@bp.get("/")
def page():
    """Lock in the page, for email (code or link) or sms; a fresh authorize request each time."""
    connection = "sms" if request.args.get("connection") == "sms" else "email"
    send = "link" if connection == "email" and request.args.get("send") == "link" else "code"
    issuer = base_url(current_app.config)
    callback = issuer + url_for("demo_lock.callback")
    found = _client().create_authorization_url(callback)
    _client().save_authorize_data(redirect_uri=callback, **found)
    query = dict(parse_qsl(urlsplit(found["url"]).query))
    params = {name: query[name] for name in LOCK_PARAMS if name in query}
    options = lock_options(issuer, callback, params, connection, send)
    return render_template("demo/lock.html", options=options, connection=connection, send=send)


@bp.get("/callback")
def callback():
    return demo.finish_sign_in(_client())
