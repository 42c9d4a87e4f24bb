"""Editing message templates: check an operator's Liquid, store it per connection and
language, show what is in force, and preview it with sample data.

Rendering lives in app/messages.py; this module is what `flask templates …` and
the debug preview page call. A template is refused before it is stored when
Liquid cannot parse it, when it uses a filter that does not exist, or when it
reads a variable that is never given to it (a typo would otherwise print as
nothing in every message); the error names the line and column.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from liquid.exceptions import LiquidError

from app import i18n
from app.accounts import events
from app.accounts.connections import get_connection
from app.extensions import db
from app.look import colours
from app.messages.rendering import (
    PARTS,
    TEMPLATES_DIR,
    RenderedEmail,
    liquid_environment,
    override_source,
    render_email,
    render_sms,
)

SOURCE_MAX = 100_000
# The variables a message may read, named as in Auth0's templates. A dotted entry
# lists the only keys of an object; `password` is an alias of `code`.
VARIABLES = {
    "code": None,
    "password": None,
    "link": None,
    "send": None,
    "request_language": None,
    "expires_in_minutes": None,
    "phone_number": None,
    "issuer_host": None,
    "locked_until": None,
    "lock_minutes": None,
    "account_action": None,
    "application": ("name", "clientID", "logo_url", "primary_color", "primary_text_color"),
    "connection": ("name",),
    "user": ("email", "phone_number"),
}
LANGUAGES = tuple(code.replace("_", "-") for code in i18n.LANGUAGES)


class TemplateRejected(ValueError):
    """An operator's template cannot be used; `str()` says where (line:column) and why."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None):
        where = f"line {line}, column {column}: " if line else ""
        super().__init__(where + message)
        self.line, self.column = line, column


@dataclass(frozen=True)
class TemplateSource:
    """The source in force for one part of a template in one language, and where it is from."""

    source: str
    origin: str  # "connection" or the file's path under templates/messages/


def known_templates() -> dict[str, tuple[str, ...]]:
    """Template names and their parts, from the English default files."""
    found: dict[str, list[str]] = {}
    for path in sorted(TEMPLATES_DIR.glob("*.liquid")):
        name, part, _ = path.name.split(".", 2)
        if part in PARTS:
            found.setdefault(name, []).append(part)
    return {name: tuple(p for p in PARTS if p in parts) for name, parts in found.items()}


def check_names(template: str, part: str, language: str) -> str:
    """Refuse an unknown template, part or language; return the language as stored."""
    templates = known_templates()
    if template not in templates:
        raise TemplateRejected(f"Unknown template {template!r}; use {', '.join(templates)}.")
    if part not in templates[template]:
        raise TemplateRejected(
            f"{template} has no {part!r} part; use {', '.join(templates[template])}."
        )
    tag = next(
        (tag for tag in LANGUAGES if tag.lower() == language.replace("_", "-").lower()), None
    )
    if tag is None:
        raise TemplateRejected(f"Unknown language {language!r}; use {', '.join(LANGUAGES)}.")
    return tag


def check_source(source: str, part: str) -> None:
    """Parse `source` and check its variables and filters; raise TemplateRejected."""
    if not source.strip():
        raise TemplateRejected("The template is empty.")
    if len(source) > SOURCE_MAX:
        raise TemplateRejected(f"The template is {len(source)} characters; at most {SOURCE_MAX}.")
    environment = liquid_environment(autoescape=(part == "html"))
    try:
        template = environment.from_string(source)
    except LiquidError as error:
        raise _rejected(error, source) from None
    analysis = template.analyze(include_partials=False)
    for uses in analysis.globals.values():
        for use in uses:
            problem = _unknown_variable([str(segment) for segment in use.segments])
            if problem:
                raise TemplateRejected(problem, *_line_column(use.span, source))
    for name, spans in analysis.filters.items():
        if name not in environment.filters:
            raise TemplateRejected(f"Unknown filter {name!r}.", *_line_column(spans[0], source))


def _line_column(span, source: str) -> tuple[int, int]:
    """1-based line and column (Liquid's spans count columns from 0)."""
    line, column = span.line_col(source)
    return line, column + 1


def _unknown_variable(segments: list[str]) -> str | None:
    root = segments[0]
    if root not in VARIABLES:
        return f"Unknown variable {root!r}; use {', '.join(VARIABLES)}."
    keys = VARIABLES[root]
    if keys is not None and len(segments) > 1 and segments[1] not in keys:
        choices = ", ".join(f"{root}.{key}" for key in keys)
        return f"Unknown variable '{root}.{segments[1]}'; use {choices}."
    return None


def _rejected(error: LiquidError, source: str) -> TemplateRejected:
    message = getattr(error, "message", None) or str(error).splitlines()[0]
    token = getattr(error, "token", None)
    index = getattr(token, "start_index", None)
    if index is None:
        return TemplateRejected(message)
    if index < 0 or index > len(source):  # Liquid marks "end of template" as -1
        index = len(source)
    line = source.count("\n", 0, index) + 1
    column = index - (source.rfind("\n", 0, index) + 1) + 1
    return TemplateRejected(message, line, column)


def set_template(connection_name: str | None, template: str, part: str, language: str, source: str):
    """Check and store a connection's template for one part and language."""
    language = check_names(template, part, language)
    check_source(source, part)
    connection_name = connection_name or connection_for(template)
    connection = get_connection(connection_name)
    templates = _copy(connection.templates)
    templates.setdefault(language, {}).setdefault(template, {})[part] = source
    connection.templates = templates
    events.record(
        "admin.template_set",
        connection=connection_name,
        template=template,
        part=part,
        language=language,
    )
    db.session.commit()


def reset_template(
    connection_name: str | None, template: str, language: str, part: str | None = None
) -> bool:
    """Remove a connection's override (one part, or all parts); True when one was removed."""
    language = check_names(template, part or known_templates().get(template, PARTS)[0], language)
    connection_name = connection_name or connection_for(template)
    connection = get_connection(connection_name)
    templates = _copy(connection.templates)
    parts = templates.get(language, {}).get(template, {})
    removed = [p for p in list(parts) if part in (None, p)]
    for name in removed:
        del parts[name]
    if not parts:
        templates.get(language, {}).pop(template, None)
    if not templates.get(language):
        templates.pop(language, None)
    connection.templates = templates
    if removed:
        events.record(
            "admin.template_reset",
            connection=connection_name,
            template=template,
            language=language,
            parts=removed,
        )
    db.session.commit()
    return bool(removed)


def source_in_force(connection_name: str | None, template: str, part: str, language: str):
    """The source a message uses for this part and language, and where it comes from."""
    language = check_names(template, part, language)
    connection_name = connection_name or connection_for(template)
    connection = get_connection(connection_name)
    fallbacks = [language] + (["en"] if language != "en" else [])
    for candidate in fallbacks:
        override = override_source(connection.templates or {}, candidate, template, part)
        if override is not None:
            return TemplateSource(override, f"connection {connection_name} ({candidate})")
        path = _default_path(template, part, candidate)
        if path.exists():
            return TemplateSource(
                path.read_text(encoding="utf-8"), str(path.relative_to(TEMPLATES_DIR.parent.parent))
            )
    raise TemplateRejected(f"No {part} template for {template}.")


def _default_path(template: str, part: str, language: str) -> Path:
    name = f"{template}.{part}.liquid"
    return TEMPLATES_DIR / name if language == "en" else TEMPLATES_DIR / language / name


def sample_variables(language: str, client: Any = None) -> dict[str, Any]:
    """Sample data for previews (a client, when given, lends its name, id and logo)."""
    return {
        "code": "428913",
        "link": "https://latchkey.example/passwordless/verify?token=sample",
        "send": "code",
        "request_language": language,
        "expires_in_minutes": 5,
        "phone_number": "+15555550123",
        "issuer_host": "latchkey.example",
        "locked_until": "2026-11-30 14:05 UTC",
        "lock_minutes": 15,
        "account_action": "add",
        "application": {
            **colours.email_application(client),
            "name": getattr(client, "name", None) or "Acme Notes",
            "clientID": getattr(client, "client_id", None) or "sample-client-id",
        },
        "connection": {"name": "email"},
        "user": {"email": "alice@example.com", "phone_number": "+15555550123"},
    }


def connection_for(template: str) -> str:
    """The connection a template belongs to: `sms_…` templates are the sms connection's."""
    return "sms" if template.startswith("sms_") else "email"


def preview(
    connection_name: str | None, template: str, language: str, client: Any = None
) -> RenderedEmail:
    """The message as a user would get it, rendered with sample data.

    An SMS has a text part only: its subject and HTML come back empty.
    """
    parts = known_templates().get(template, PARTS)
    language = check_names(template, parts[0], language)
    connection_name = connection_name or connection_for(template)
    connection = get_connection(connection_name)
    variables = sample_variables(language, client)
    if parts == ("text",):
        text = render_sms(template, connection, language=language, **variables)
        return RenderedEmail(subject="", text=text + "\n", html="")
    return render_email(template, connection, language=language, **variables)


def _copy(templates: dict | None) -> dict:
    """A deep copy of the JSON value, so SQLAlchemy sees the column change."""
    return {
        lang: {
            name: dict(parts) for name, parts in (value or {}).items() if isinstance(parts, dict)
        }
        for lang, value in (templates or {}).items()
        if isinstance(value, dict)
    }
