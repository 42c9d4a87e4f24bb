"""A message template being edited, previewed before it is stored (the console's live
preview): the same checks as storing it (app/messages/overrides.py), then the message
rendered with sample data, the connection's stored templates left as they are."""

from __future__ import annotations

from types import SimpleNamespace

from app.accounts.connections import get_connection
from app.messages.rendering import RenderedEmail, render_email, render_sms

from .overrides import (
    check_names,
    check_source,
    connection_for,
    known_templates,
    sample_variables,
)


def preview_draft(
    connection_name: str | None, template: str, part: str, language: str, source: str
) -> RenderedEmail:
    """The message as it would read with `source` in place of the stored part; raises
    TemplateRejected (line and column) for a source that could not be stored."""
    language = check_names(template, part, language)
    check_source(source, part)
    connection = get_connection(connection_name or connection_for(template))
    stored = connection.templates or {}
    templates = {
        lang: {name: dict(parts) for name, parts in value.items()}
        for lang, value in stored.items()
        if isinstance(value, dict)
    }
    templates.setdefault(language, {}).setdefault(template, {})[part] = source
    draft = SimpleNamespace(templates=templates, name=connection.name)
    variables = sample_variables(language)
    if known_templates()[template] == ("text",):
        text = render_sms(template, draft, language=language, **variables)
        return RenderedEmail(subject="", text=text + "\n", html="")
    return render_email(template, draft, language=language, **variables)
