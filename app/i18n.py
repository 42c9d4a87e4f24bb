"""Page languages: which locale a request gets, and the catalogs that translate it.

Order of preference: the authorize request's `ui_locales` (kept on the login
ticket, so every later page of the same sign-in keeps it), the
`x-request-language` header (as Auth0's API honours it), the browser's
`Accept-Language`, the client's default language, then English.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from flask import Flask, g, has_request_context, request
from flask_babel import get_locale, refresh

from .extensions import babel

LANGUAGES = ("en", "es", "fr", "de", "pt_BR", "it", "nl", "ja")
DEFAULT_LANGUAGE = "en"
TRANSLATIONS_DIR = Path(__file__).resolve().parent.parent / "translations"

_TAG = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8}){0,4}$")
_BY_KEY = {code.lower().replace("_", "-"): code for code in LANGUAGES}
# A bare language with one regional variant shipped maps to that variant.
_BASE = {code.split("_")[0].lower(): code for code in LANGUAGES}


def best_language(tags: Iterable[str | None]) -> str | None:
    """The first supported language among BCP 47 tags (best first), or None.

    An exact match wins ("pt-BR"); otherwise the base language ("es-MX" → "es",
    "pt-PT" → "pt_BR", the only Portuguese shipped). Malformed tags are skipped.
    """
    for tag in tags:
        tag = (tag or "").strip()
        if not tag or len(tag) > 35 or not _TAG.match(tag):
            continue
        key = tag.lower().replace("_", "-")
        if key in _BY_KEY:
            return _BY_KEY[key]
        base = key.split("-")[0]
        if base in _BASE:
            return _BASE[base]
    return None


def split_ui_locales(value: str | None) -> list[str]:
    """OpenID Connect's ui_locales: space-separated tags, most preferred first."""
    return (value or "").split()[:10]


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
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=str(TRANSLATIONS_DIR),
    )
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.globals["current_language"] = current_language
