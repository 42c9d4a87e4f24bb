"""Rules for a client's branding: logo URL, colours, theme and default language."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from app import i18n
from app.look import colours, themes

LOGO_URL_MAX = 500
LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")
FIELDS = ("logo_url", "primary_color", "background_color", "theme", "default_language")


class InvalidBranding(ValueError):
    """A branding value breaks a rule; the message says which and why."""


def validate_branding(changes: dict[str, Any]) -> dict[str, str | None]:
    """Cleaned values for the branding keys in `changes`; "" or None clears a value."""
    cleaned: dict[str, str | None] = {}
    for key in FIELDS:
        if key not in changes:
            continue
        value = changes[key]
        if value is None or not str(value).strip():
            cleaned[key] = None
        elif key == "logo_url":
            cleaned[key] = validate_logo_url(value)
        elif key in ("primary_color", "background_color"):
            try:
                cleaned[key] = colours.parse_color(value)
            except colours.InvalidColor as error:
                raise InvalidBranding(str(error)) from None
        elif key == "theme":
            cleaned[key] = validate_theme(value)
        else:
            cleaned[key] = validate_language(value)
    return cleaned


def validate_logo_url(url: str) -> str:
    """An https URL (http on loopback, for development) of at most 500 characters;
    Latchkey fetches the image from it once and serves it itself."""
    url = url.strip()
    if len(url) > LOGO_URL_MAX:
        raise InvalidBranding(f"The logo URL is {len(url)} characters; at most {LOGO_URL_MAX}.")
    if any(ch.isspace() or ch in "\"'<>\\" or not ch.isprintable() for ch in url):
        raise InvalidBranding("The logo URL must not contain spaces, quotes or angle brackets.")
    try:
        parts = urlsplit(url)
    except ValueError:
        raise InvalidBranding(f"The logo URL {url!r} cannot be read as a URL.") from None
    loopback = parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS
    if not (parts.scheme == "https" or loopback) or not parts.hostname:
        raise InvalidBranding(f"The logo URL must start with https:// and name a host: {url!r}.")
    return url


def validate_theme(name: str) -> str:
    """An installed theme."""
    name = name.strip()
    if name not in themes.available():
        raise InvalidBranding(
            f"Unknown theme {name!r}; installed: {', '.join(themes.available())}."
        )
    return name


def validate_language(tag: str) -> str:
    """One of the shipped page languages, written as the catalog names it ("pt_BR")."""
    key = tag.strip().replace("-", "_").lower()
    for code in i18n.LANGUAGES:
        if code.lower() == key:
            return code
    raise InvalidBranding(f"Unknown language {tag!r}; use one of {', '.join(i18n.LANGUAGES)}.")
