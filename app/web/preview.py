"""The preview pages: every screen of a theme in every language, and every message.

Registered in debug, or when FLASK_PREVIEW_PASSWORD is set (then the pages ask
for it with HTTP Basic authentication: for operators and designers only). In
debug the overview reloads itself when a theme, template or catalog changes.
"""

from __future__ import annotations

import hmac

from flask import Blueprint, Response, abort, current_app, g, render_template, request

from app import i18n
from app.look import themes
from app.messages import overrides
from app.web import locale

from . import samples
from .security import csp_nonce

bp = Blueprint("preview", __name__, url_prefix="/preview")

FRAMED_CSP_ANCESTORS = "frame-ancestors 'self'"
# A message's HTML part, shown in a frame: no script, no form, nothing to navigate.
MESSAGE_HTML_CSP = (
    "sandbox; default-src 'none'; img-src https: data:; style-src 'unsafe-inline'; "
    "form-action 'none'; base-uri 'none'; frame-ancestors 'self'"
)
LANGUAGE_TAGS = overrides.LANGUAGES


@bp.before_request
def operators_only():
    password = current_app.config.get("PREVIEW_PASSWORD")
    g.no_store = True
    if not password:
        return None  # registered without a password only in debug
    given = request.authorization.password if request.authorization else None
    if given is None or not hmac.compare_digest(given.encode(), str(password).encode()):
        return Response(
            "Preview: sign in with the preview password.",
            401,
            {"WWW-Authenticate": 'Basic realm="Latchkey preview"'},
            mimetype="text/plain",
        )
    return None


def _theme_or_404(name: str) -> str:
    if name not in themes.available():
        abort(404)
    return name


def _language_or_default(value: str | None) -> str:
    return i18n.best_language([value]) or i18n.DEFAULT_LANGUAGE


@bp.get("/")
def index():
    return render_template(
        "preview/index.html",
        themes=[themes.load(name) for name in themes.available()],
        templates=overrides.known_templates(),
        languages=LANGUAGE_TAGS,
        client=None,
    )


@bp.get("/themes/<name>")
def theme(name: str):
    """All screens of a theme, in one language or (lang=all) in every language."""
    name = _theme_or_404(name)
    lang = request.args.get("lang", "en")
    languages = list(i18n.LANGUAGES) if lang == "all" else [_language_or_default(lang)]
    sample = request.args.get("client", "default")
    if sample not in samples.SAMPLE_CLIENTS:
        sample = "default"
    names = list(samples.screens())
    return render_template(
        "preview/theme.html",
        theme_info=themes.load(name),
        screens=names,
        languages=languages,
        all_languages=i18n.LANGUAGES,
        lang=lang,
        sample=sample,
        samples=list(samples.SAMPLE_CLIENTS),
        live=current_app.debug,
        client=None,
    )


@bp.get("/themes/<name>/<screen>")
def screen(name: str, screen: str):
    """One screen as a user sees it (framed by the overview)."""
    name = _theme_or_404(name)
    client = samples.SAMPLE_CLIENTS.get(request.args.get("client", "default"))
    if client is None:
        abort(404)
    locale.use_for_page(_language_or_default(request.args.get("lang")))
    page = samples.screens().get(screen)
    if page is None:
        abort(404)
    template, context = page
    g.theme = name
    # preview: the pages that submit themselves (a link opened here, an approved wait)
    # stay put, as the preview's CSP allows no form to be sent.
    context = {"client": client, "preview": True} | context
    html = render_template(themes.template_for(template, name), **context)
    response = Response(html, mimetype="text/html")
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Content-Security-Policy"] = framed_csp()
    return response


def framed_csp() -> str:
    nonce = csp_nonce()
    return (
        "default-src 'self'; "
        f"script-src 'nonce-{nonce}' 'strict-dynamic'; "
        f"style-src 'self' 'nonce-{nonce}'; "
        "img-src 'self' https: data:; object-src 'none'; base-uri 'none'; "
        f"form-action 'none'; {FRAMED_CSP_ANCESTORS}"
    )


@bp.get("/messages/<template>")
def message(template: str):
    """A message in every language: subject, text part and HTML part."""
    if template not in overrides.known_templates():
        abort(404)
    connection = request.args.get("connection") or overrides.connection_for(template)
    if connection not in ("email", "sms"):
        abort(404)
    rendered = {tag: overrides.preview(connection, template, tag) for tag in LANGUAGE_TAGS}
    return render_template(
        "preview/messages.html",
        template=template,
        connection=connection,
        rendered=rendered,
        live=current_app.debug,
        client=None,
    )


@bp.get("/messages/<template>/<language>.html")
def message_html(template: str, language: str):
    """One message's HTML part, sandboxed, for the frames of the messages page."""
    if template not in overrides.known_templates() or language not in LANGUAGE_TAGS:
        abort(404)
    connection = request.args.get("connection") or overrides.connection_for(template)
    if connection not in ("email", "sms"):
        abort(404)
    rendered = overrides.preview(connection, template, language)
    if not rendered.html:
        abort(404)
    response = Response(rendered.html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = MESSAGE_HTML_CSP
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


@bp.get("/version")
def version():
    """Changes when a theme, template or catalog file changes (the overview polls it)."""
    return {"version": samples.files_version()}
