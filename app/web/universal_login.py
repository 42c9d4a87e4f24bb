"""The `config` object Auth0's Universal Login injects into a classic hosted page, for
Latchkey's hosted pages built on Auth0's own front ends (theme `lock-classic`).

A theme's template reads it as Auth0's classic templates read theirs (`config.clientID`,
`config.auth0Domain`, `config.internalOptions`, `config.extraParams`, …), from a JSON
block instead of a base64 string. `internalOptions` carries what lets the page's calls
act for this authorize request: `state` (the request, signed) and `_csrf`; Lock hands
both to `/passwordless/start` and back to the verify steps (app/web/auth0_js.py).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from flask_wtf.csrf import generate_csrf

from app.accounts.connections import get_connection
from app.signin import link_tokens

from . import locale, logos

# Lock's dictionary names for Latchkey's page languages (bundles/auth0-lock.js).
LOCK_LANGUAGES = {"pt-BR": "pt-br"}


def init_app(app) -> None:
    app.jinja_env.globals["universal_login_config"] = universal_login_config


def universal_login_config(
    client: Any, authz: str, connection: str, typed: str = "", country: str | None = None
) -> dict[str, Any]:
    """Auth0's `config` for the first screen of a sign-in (`connection` email or sms)."""
    issuer = current_app.config["ISSUER"]
    parts = urlsplit(issuer)
    try:
        params = link_tokens.load_authorize_request(authz)
    except (link_tokens.BadToken, link_tokens.ExpiredToken):
        params = {}  # the theme preview's sample screens
    send = get_connection("email").send if connection == "email" else "code"
    language = locale.current_language()
    return {
        "clientID": client.client_id,
        # auth0.js takes a bare host as https://host (and then knows it is on the hosted
        # page); an http issuer (make run) is given whole.
        "auth0Domain": parts.netloc if parts.scheme == "https" else issuer,
        "auth0Tenant": parts.hostname,
        "clientConfigurationBaseUrl": issuer,
        "languageBaseUrl": f"{issuer}/static/vendor",
        "callbackURL": params.get("redirect_uri", ""),
        "callbackOnLocationHash": False,
        "authorizationServer": {"url": issuer, "issuer": issuer},
        "internalOptions": {
            "state": authz,
            "_csrf": generate_csrf(),
            "response_type": "code",
            "scope": params.get("scope", "openid"),
        },
        "extraParams": {
            "connection": connection,
            "login_hint": typed or params.get("login_hint", ""),
            "ui_locales": params.get("ui_locales", ""),
            "prompt": params.get("prompt", ""),
        },
        "prompt": params.get("prompt", ""),
        "language": LOCK_LANGUAGES.get(language, language),
        "icon": logos.logo_src(client) or f"{issuer}/static/favicon.svg",
        "colors": {"primary": client.primary_color or "#635dff"},
        "dict": {"signin": {"title": client.name}},
        # Latchkey's own: how the connection sends, and the phone screen's first country.
        "passwordlessMethod": "link" if send == "link" else "code",
        "defaultLocation": country,
    }
