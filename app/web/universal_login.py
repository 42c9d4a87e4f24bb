"""The `config` of the lock-classic theme's page: Universal Login's config object
(app/web/auth0_page.py, shared with the auth0js-custom theme) plus what Universal
Login's classic "Lock (Passwordless)" template reads besides: where Lock loads the
app's settings and its languages from, the logo, the colour, the title, and the
screen's connection, its first country and what was typed.

`internalOptions` carries what lets the page's calls act for this authorize request:
`state` (the request, signed) and `_csrf`; Lock hands them to `/passwordless/start`
and back to the verify steps (app/web/auth0_js.py).
"""

from __future__ import annotations

from typing import Any

from flask import current_app

from app.config import base_url

from . import auth0_page, locale, logos

# Lock's dictionary names for Latchkey's page languages (bundles/auth0-lock.js).
LOCK_LANGUAGES = {"pt-BR": "pt-br"}


def init_app(app) -> None:
    app.jinja_env.globals["universal_login_config"] = universal_login_config


def universal_login_config(
    client: Any, authz: str, connection: str, typed: str = "", country: str | None = None
) -> dict[str, Any]:
    """Lock's `config` for the first screen of a sign-in (`connection` email or sms)."""
    issuer = base_url(current_app.config)
    config = auth0_page.config_object(client, authz)
    language = locale.current_language()
    config["extraParams"] |= {"connection": connection}
    if typed:
        config["extraParams"]["login_hint"] = typed
    return config | {
        # auth0Domain stays the page's host (auth0.js then knows it is on the hosted
        # page); over plain http the template points auth0.js at the page's origin.
        "clientConfigurationBaseUrl": config["authorizationServer"]["url"],
        "languageBaseUrl": config["authorizationServer"]["url"] + "/static/vendor",
        "language": LOCK_LANGUAGES.get(language, language),
        "icon": logos.logo_src(client) or f"{issuer}/static/favicon.svg",
        "colors": {"primary": client.primary_color or "#635dff"},
        "dict": {"signin": {"title": client.name}},
        "passwordlessMethod": config["passwordless"].get(connection, "code"),
        "defaultLocation": country,
    }
