"""Page languages: which locale a request gets (Flask-Babel's selector).

Order of preference: the authorize request's `ui_locales` (kept on the login
ticket, so every later page of the same sign-in keeps it), the
`x-request-language` header (as Auth0's API honours it), the browser's
`Accept-Language`, the client's default language, then English.
"""

from __future__ import annotations

from flask import Flask, g, has_request_context, request
from flask_babel import get_locale, refresh

from app import catalogs
from app.extensions import babel
from app.i18n import DEFAULT_LANGUAGE, TRANSLATIONS_DIR, best_language, split_ui_locales


def use_for_page(ui_locales: str | None = None, client_language: str | None = None) -> None:
    """Tell the locale selector what this sign-in asked for (authorize request, client)."""
    g.ui_locales = ui_locales
    g.client_language = client_language
    refresh()


def select_locale() -> str:
    """Flask-Babel's locale selector (see the module docstring for the order)."""
    candidates = [
        best_language(split_ui_locales(g.get("ui_locales"))),
        best_language([request.headers.get("x-request-language")]),
        best_language(request.accept_languages.values()),
        best_language([g.get("client_language")]),
    ]
    return next((c for c in candidates if c), DEFAULT_LANGUAGE)


def current_language() -> str:
    """The request's language as a BCP 47 tag ("pt-BR"), for messages and `lang`."""
    if not has_request_context():
        return DEFAULT_LANGUAGE
    return str(get_locale() or DEFAULT_LANGUAGE).replace("_", "-")


def init_app(app: Flask) -> None:
    catalogs.compile_stale(TRANSLATIONS_DIR)  # a checkout without `make` (pip install -e .)
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=str(TRANSLATIONS_DIR),
    )
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.globals["current_language"] = current_language
