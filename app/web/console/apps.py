"""Console: the registered apps, their settings and branding, and a preview of their
hosted page (the theme preview's screens, with the app's own name, logo and colours)."""

from __future__ import annotations

from flask import Response, abort, current_app, g, redirect, render_template, request, url_for

from app.accounts import admins, directory, logos
from app.accounts.clients import InvalidClient, find_client, update_client
from app.look import themes
from app.web import locale

from .. import samples
from ..errors import error_page
from ..preview import framed_csp
from .base import before_arg, bp, page
from .forms import AppSettingsForm, BrandingForm, lines

PREVIEW_SCREENS = ("email", "phone", "code")


def _client_or_404(client_id: str):
    client = find_client(client_id[:64])
    if client is None:
        abort(404)
    return client


@bp.get("/apps")
def apps():
    return page("apps.html", found=directory.clients_page(before=before_arg()))


def _app_page(client, settings=None, branding=None, error=None, status=200):
    settings = settings or AppSettingsForm(
        formdata=None,
        name=client.name,
        callbacks="\n".join(client.redirect_uris or []),
        logout_urls="\n".join(client.logout_urls or []),
        origins="\n".join(client.web_origins or []),
        connections=", ".join(client.enabled_connections),
    )
    branding = branding or BrandingForm(
        formdata=None,
        logo_url=client.logo_url or "",
        primary_color=client.primary_color or "",
        background_color=client.background_color or "",
        theme=client.theme or "",
    )
    return page(
        "app.html",
        status,
        app=client,
        settings=settings,
        branding=branding,
        error=error,
        themes=themes.available(),
        screens=PREVIEW_SCREENS,
        done=request.args.get("done"),
    )


@bp.get("/apps/<client_id>")
def app_settings(client_id: str):
    return _app_page(_client_or_404(client_id))


def _save(client, form, changes: dict, action: str):
    if not form.validate_on_submit():
        return error_page(400)
    try:
        update_client(client, **changes)
    except InvalidClient as error:
        kwargs = {"settings" if action == "settings" else "branding": form}
        return _app_page(client, error=str(error), status=400, **kwargs)
    problem = None
    if action == "branding" and client.logo_url and not client.logo_sha256:
        problem = logos.cache(client)  # the rest is saved; the app shows no logo
    admins.record_action(g.admin, f"app_{action}", client_id=client.client_id)
    if problem:
        return _app_page(client, error=problem)
    return redirect(url_for("console.app_settings", client_id=client.client_id, done=action), 303)


@bp.post("/apps/<client_id>/settings")
def save_settings(client_id: str):
    client = _client_or_404(client_id)
    form = AppSettingsForm()
    changes = {
        "name": (form.name.data or "")[:200],
        "callbacks": lines(form.callbacks.data),
        "logout_urls": lines(form.logout_urls.data),
        "origins": lines(form.origins.data),
        "connections": lines(form.connections.data, 40),
    }
    return _save(client, form, changes, "settings")


@bp.post("/apps/<client_id>/branding")
def save_branding(client_id: str):
    client = _client_or_404(client_id)
    form = BrandingForm()
    changes = {
        "logo_url": (form.logo_url.data or "")[:600],
        "primary_color": (form.primary_color.data or "")[:16],
        "background_color": (form.background_color.data or "")[:16],
        "theme": (form.theme.data or "")[:64],
    }
    return _save(client, form, changes, "branding")


@bp.get("/apps/<client_id>/preview/<screen>")
def app_preview(client_id: str, screen: str):
    """One screen of the app's hosted page as its users see it (framed by its page)."""
    client = _client_or_404(client_id)
    found = samples.screens().get(screen) if screen in PREVIEW_SCREENS else None
    if found is None:
        abort(404)
    locale.use_for_page(client.default_language)
    template, context = found
    g.theme = client.theme or current_app.config["DEFAULT_THEME"]
    context = {"client": client, "preview": True} | context
    html = render_template(themes.template_for(template, g.theme), **context)
    response = Response(html, mimetype="text/html")
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Content-Security-Policy"] = framed_csp()
    return response
