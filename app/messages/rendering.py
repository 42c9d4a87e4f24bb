"""Message templates (Liquid): per connection and language, with file defaults.

A message is three parts, each its own template: `<name>.subject.liquid`,
`<name>.text.liquid` and `<name>.html.liquid` under `templates/messages/`
(English), or under `templates/messages/<language>/` for another language.
A connection may override any part in `connection.templates`, shaped like
`{"en": {"email_code": {"subject": "...", "text": "...", "html": "..."}}}`.

Lookup, per part: the connection's override in the asked language, the file in
that language, the connection's override in English, the English file. The HTML
part is autoescaped; the text and subject are not, and the subject loses any
line break (it is a mail header).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from liquid import BoundTemplate, CachingFileSystemLoader, Environment
from liquid.exceptions import LiquidError, TemplateNotFoundError

from app import data_folders

logger = logging.getLogger(__name__)

DEFAULT_LANGUAGE = "en"
PARTS = ("subject", "text", "html")
TEMPLATES_DIR = data_folders.folder("templates") / "messages"

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8}){0,3}$")


@dataclass(frozen=True)
class RenderedEmail:
    """An email ready for the outbox: a one-line subject, a text and an HTML part."""

    subject: str
    text: str
    html: str


class MessageTemplateError(LookupError):
    """No template of that name exists (a programming error, not bad user input)."""


def render_email(
    template: str, connection: Any, /, *, language: str = DEFAULT_LANGUAGE, **variables: Any
) -> RenderedEmail:
    """Render the email `template` (e.g. "email_code") for a connection and language.

    `connection` is a Connection row (its `templates` overrides are used) or None;
    it is positional-only, so the template variable `connection` (a dict) can be
    passed by keyword like every other variable.
    `password` is an alias of `code`, as in Auth0's templates.
    """
    if not _NAME.match(template):
        raise MessageTemplateError(f"bad message template name {template!r}")
    data = _template_variables(variables)
    overrides = getattr(connection, "templates", None) or {}
    languages = list(_languages(language))
    parts = {part: _render_part(template, part, languages, overrides, data) for part in PARTS}
    return RenderedEmail(
        subject=one_line(parts["subject"]),
        text=parts["text"].strip() + "\n",
        html=parts["html"],
    )


def render_sms(
    template: str, connection: Any, /, *, language: str = DEFAULT_LANGUAGE, **variables: Any
) -> str:
    """Render the SMS `template` (e.g. "sms_code"): its text part only, trimmed.

    Overrides live in `connection.templates` like an email's, with a `text` part.
    """
    if not _NAME.match(template):
        raise MessageTemplateError(f"bad message template name {template!r}")
    data = _template_variables(variables)
    overrides = getattr(connection, "templates", None) or {}
    return _render_part(template, "text", list(_languages(language)), overrides, data).strip()


def one_line(value: str) -> str:
    """Collapse all whitespace, CR and LF included, so a value is safe as a header."""
    return " ".join(value.split())


def _template_variables(variables: Mapping[str, Any]) -> dict[str, Any]:
    data = dict(variables)
    if "code" in data:
        data.setdefault("password", data["code"])
    application = data.get("application")
    if isinstance(application, Mapping):
        application = dict(application)
        logo = application.get("logo_url")
        if logo and not str(logo).startswith(("https://", "http://")):
            application["logo_url"] = None
        data["application"] = application
    return data


def _languages(language: str | None) -> Iterator[str]:
    """The asked language, its base language, then English; malformed tags are ignored."""
    seen = set()
    candidates = []
    if language and _LANGUAGE.match(language):
        tag = language.replace("_", "-")
        candidates += [tag, tag.split("-")[0].lower()]
    candidates.append(DEFAULT_LANGUAGE)
    for candidate in candidates:
        if candidate not in seen:
            seen.add(candidate)
            yield candidate


def _render_part(
    template: str,
    part: str,
    languages: list[str],
    overrides: Mapping[str, Any],
    data: Mapping[str, Any],
) -> str:
    """Render the first template found for one part, in lookup order (see module docstring).

    A connection's override that fails to parse or render is skipped (and logged),
    so a typo in an operator's template never stops codes from going out.
    """
    autoescape = part == "html"
    for language in languages:
        source = override_source(overrides, language, template, part)
        if source is not None:
            try:
                return _from_string(source, autoescape=autoescape).render(**data)
            except LiquidError as exc:
                logger.warning(
                    "message template override %s/%s.%s skipped: %s",
                    language,
                    template,
                    part,
                    type(exc).__name__,
                )
        try:
            found = _file_template(template, part, language)
        except TemplateNotFoundError:
            continue
        return found.render(**data)
    raise MessageTemplateError(f"no {part} template for {template!r}")


def override_source(
    overrides: Mapping[str, Any], language: str, template: str, part: str
) -> str | None:
    """A connection's non-blank override for one part and language, if any."""
    value = overrides.get(language)
    value = value.get(template) if isinstance(value, Mapping) else None
    value = value.get(part) if isinstance(value, Mapping) else None
    return value if isinstance(value, str) and value.strip() else None


def _file_template(template: str, part: str, language: str) -> BoundTemplate:
    name = f"{template}.{part}.liquid"
    if language != DEFAULT_LANGUAGE:
        name = f"{language}/{name}"
    return liquid_environment(autoescape=(part == "html")).get_template(name)


@lru_cache(maxsize=2)
def liquid_environment(*, autoescape: bool) -> Environment:
    """The Liquid environment of messages (sandboxed: templates see only the data given)."""
    return Environment(loader=CachingFileSystemLoader(TEMPLATES_DIR), autoescape=autoescape)


@lru_cache(maxsize=256)
def _from_string(source: str, *, autoescape: bool) -> BoundTemplate:
    return liquid_environment(autoescape=autoescape).from_string(source)
