"""Console: the email and sms connections' settings, and their message templates with
a live preview (the draft is rendered with sample data before anything is stored)."""

from __future__ import annotations

from flask import Response, abort, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.accounts import admins
from app.accounts.connections import InvalidSetting, get_connection, update_connection
from app.messages import drafts, overrides
from app.models import CONNECTIONS

from ..errors import error_page
from ..preview import MESSAGE_HTML_CSP
from .base import bp, page
from .forms import ConnectionForm, TemplateForm

NUMBERS = ("code_length", "ttl_seconds", "max_attempts", "daily_budget")


def _connection_or_404(name: str):
    if name not in CONNECTIONS:
        abort(404)
    return get_connection(name)


def _templates_of(name: str) -> dict[str, tuple[str, ...]]:
    return {
        t: parts
        for t, parts in overrides.known_templates().items()
        if overrides.connection_for(t) == name
    }


@bp.get("/connections")
def connections():
    return page("connections.html", connections=[get_connection(n) for n in CONNECTIONS])


def _connection_page(connection, form=None, error=None, status=200):
    form = form or ConnectionForm(
        formdata=None,
        send=connection.send,
        code_length=str(connection.code_length),
        ttl_seconds=str(connection.ttl_seconds),
        max_attempts=str(connection.max_attempts),
        signup_allowed=connection.signup_allowed,
        allowed_countries=", ".join(connection.allowed_countries or []),
        daily_budget="" if connection.daily_budget is None else str(connection.daily_budget),
    )
    return page(
        "connection.html",
        status,
        connection=connection,
        form=form,
        error=error,
        templates=_templates_of(connection.name),
        languages=overrides.LANGUAGES,
        done=request.args.get("done"),
    )


@bp.get("/connections/<name>")
def connection(name: str):
    return _connection_page(_connection_or_404(name))


def _changes(name: str, form: ConnectionForm) -> dict:
    changes: dict = {"send": (form.send.data or "")[:8], "signup_allowed": form.signup_allowed.data}
    for field in NUMBERS:
        if field == "daily_budget" and name != "sms":
            continue
        text = (getattr(form, field).data or "").strip()[:12]
        if not (text.isascii() and text.isdigit()):
            raise InvalidSetting(_("Settings that count must be whole numbers."))
        changes[field] = int(text)
    if name == "sms":
        changes["allowed_countries"] = (form.allowed_countries.data or "")[:800]
    return changes


@bp.post("/connections/<name>")
def save_connection(name: str):
    connection = _connection_or_404(name)
    form = ConnectionForm()
    if not form.validate_on_submit():
        return error_page(400)
    try:
        update_connection(name, **_changes(name, form))
    except InvalidSetting as error:
        return _connection_page(connection, form, str(error), 400)
    admins.record_action(g.admin, "connection_settings", connection=name)
    return redirect(url_for("console.connection", name=name, done="saved"), 303)


def _template_args(name: str, template: str) -> tuple[str, str]:
    parts = _templates_of(name).get(template)
    if not parts:
        abort(404)
    part = request.args.get("part", parts[0])
    language = request.args.get("lang", "en")
    if part not in parts or language not in overrides.LANGUAGES:
        abort(404)
    return part, language


def _template_page(name, template, part, language, source=None, error=None, status=200):
    in_force = overrides.source_in_force(name, template, part, language)
    form = TemplateForm(formdata=None, source=in_force.source if source is None else source)
    return page(
        "template.html",
        status,
        connection=_connection_or_404(name),
        template=template,
        part=part,
        parts=_templates_of(name)[template],
        language=language,
        languages=overrides.LANGUAGES,
        origin=in_force.origin,
        form=form,
        error=error,
        done=request.args.get("done"),
    )


@bp.get("/connections/<name>/templates/<template>")
def template(name: str, template: str):
    part, language = _template_args(name, template)
    return _template_page(name, template, part, language)


def _posted_source(name: str, template: str) -> tuple[str, str, str | None]:
    """(part, language, source) of a posted editor form; source None when its CSRF
    token is missing or wrong."""
    part, language = _template_args(name, template)
    form = TemplateForm()
    if not form.validate_on_submit():
        return part, language, None
    return part, language, (form.source.data or "")[: overrides.SOURCE_MAX + 1]


@bp.post("/connections/<name>/templates/<template>")
def save_template(name: str, template: str):
    part, language, source = _posted_source(name, template)
    if source is None:
        return error_page(400)
    try:
        overrides.set_template(name, template, part, language, source)
    except overrides.TemplateRejected as error:
        return _template_page(name, template, part, language, source, str(error), 400)
    admins.record_action(g.admin, "template_set", connection=name, template=template, part=part)
    query = {"part": part, "lang": language, "done": "saved"}
    return redirect(url_for("console.template", name=name, template=template, **query), 303)


@bp.post("/connections/<name>/templates/<template>/preview")
def preview_template(name: str, template: str):
    """The draft rendered with sample data, for the editor's preview frame (sandboxed:
    no script runs, nothing is fetched but images)."""
    part, language, source = _posted_source(name, template)
    if source is None:
        return error_page(400)
    try:
        rendered = drafts.preview_draft(name, template, part, language, source)
        html = render_template("console/message_preview.html", rendered=rendered, error=None)
    except overrides.TemplateRejected as error:
        html = render_template("console/message_preview.html", rendered=None, error=str(error))
    response = Response(html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = MESSAGE_HTML_CSP
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response
