"""The config a hosted page built on auth0.js needs (theme auth0js-custom), injected
the way Auth0's Universal Login injects `@@config@@`: base64 of a JSON object that
the page reads with `JSON.parse(decodeURIComponent(escape(window.atob(…))))`.

The names are Universal Login's (auth0Domain, clientID, callbackURL, internalOptions,
authorizationServer, …), so a Classic custom page moves over with its `new
auth0.WebAuth(…)` unchanged. internalOptions.state is this server's signed copy of
the authorize request and `_csrf` a CSRF token: auth0.js sends both back in
`/passwordless/start`'s authParams, which binds the ticket to this browser.
"""

from __future__ import annotations

import base64
import json

from flask import Flask, request
from flask_wtf.csrf import generate_csrf

from app import oidc
from app.accounts.connections import get_connection
from app.models import Client
from app.signin import link_tokens


def init_app(app: Flask) -> None:
    app.jinja_env.globals["auth0_config"] = auth0_config


def auth0_config(client: Client, authz: str | None) -> str:
    """The page's config for `client` and its signed authorize request `authz`."""
    return base64.b64encode(json.dumps(config_object(client, authz)).encode()).decode()


def config_object(client: Client, authz: str | None) -> dict:
    """Universal Login's config object (also the base of the lock-classic theme's,
    app/web/universal_login.py)."""
    try:
        params = link_tokens.load_authorize_request(authz) if authz else {}
    except (link_tokens.ExpiredToken, link_tokens.BadToken):
        params = {}
    # (the theme preview's sample apps are not stored clients: email only)
    connections = list(getattr(client, "enabled_connections", None) or ["email"])
    return {
        "auth0Domain": request.host,
        "auth0Tenant": request.host.split(".")[0],
        "clientID": client.client_id,
        "callbackURL": params.get("redirect_uri", ""),
        "authorizationServer": {"url": request.host_url.rstrip("/"), "issuer": oidc.issuer()},
        "internalOptions": {
            "response_type": "code",
            "scope": params.get("scope", "openid"),
            "state": authz or "",
            "_csrf": generate_csrf(),
        },
        "extraParams": {k: params[k] for k in ("login_hint", "ui_locales") if params.get(k)},
        "connections": connections,
        "passwordless": {name: _send(name) for name in connections},
    }


def _send(connection: str) -> str:
    """What the hosted page asks auth0.js to send: a link when the email connection
    sends links only, else a code."""
    if connection == "email" and get_connection("email").send == "link":
        return "link"
    return "code"
