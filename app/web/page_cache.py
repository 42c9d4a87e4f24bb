"""The hosted page's first screen and its code page, rendered once per app look, then
filled in.

A first view of /authorize ("Enter your email", nothing typed, no error, no email /
phone tabs) is the same HTML for every request of one app, theme and language but for
three values: the signed authorize request and the CSRF token (hidden fields) and the
CSP nonce (the brand colours' <style>). The code page, likewise, but for its ticket
(in its URLs), the recipient and the same token and nonce. A page is rendered once with
a marker in place of each value and kept per process under a key of everything else it
shows: the template, theme, language, the script root its URLs start with, the app's
name, colours and logo (so a change to an app's branding shows at once: the next request
reads the app's row, as it does anyway, and misses the old key) and, for the code page,
the channel, code length and delivery line. Each request then escapes its own values
into the markers: the same bytes a full render writes (tests/test_page_cache.py).

Only the shared pages are kept: a theme's own template may read anything, so a theme
that overrides a page renders it in full each time, as every page does in debug
(templates reloaded).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from flask import current_app, g, render_template, request, url_for
from flask_babel import get_locale
from flask_wtf.csrf import generate_csrf
from jinja2 import Template
from markupsafe import escape

from ..models import Client
from . import screens, security, theme_setup

CACHE = "latchkey.first_pages"
MAX_PAGES = 512  # apps × themes × languages; past this the cache starts afresh

# Random per process, so no value a person or an app can set names a marker.
SLOTS = ("authz", "csrf", "nonce", "ticket", "recipient")
MARKERS = {slot: f"lk{slot}{secrets.token_hex(16)}" for slot in SLOTS}
EMAIL_PAGE = "login/email.html"
CODE_PAGE = "login/code.html"


def first_email_page(client: Client, authz: str) -> str | None:
    """ "Enter your email" with nothing typed, no error and no tabs, for the signed
    authorize request `authz`; None when the app's theme has its own page."""
    template = theme_setup.page_template(EMAIL_PAGE, theme_setup.use_theme(client))
    if not keeps(template, EMAIL_PAGE):
        return None

    def build(markers: dict[str, str]) -> dict[str, Any]:
        screen = screens.email(authz=markers["authz"])
        _mark_csrf(markers, screen.context["form"])
        return screen.context

    values = {"authz": authz, "nonce": security.csp_nonce()} | _csrf_value()
    return render(template, client, g.theme, (), build, values)


def code_page(
    client: Client | None,
    ticket_id: str,
    channel: str,
    recipient: str,
    code_length: int,
    delivery: dict,
) -> str | None:
    """ "Enter the code we sent to …" with no error or notice, its way back the usual
    "Use another email" (not a step-up's); None when the page shows more than the kept
    one can (the app's other connection after a failed message) or its theme has its own.
    `delivery` is the delivery line's context (app/web/delivery.py)."""
    if client is None:
        return None
    template = theme_setup.page_template(CODE_PAGE, theme_setup.use_theme(client))
    if (
        not keeps(template, CODE_PAGE)
        or delivery["other_connection_url"]
        or not (
            ticket_id.isascii() and ticket_id.isalnum()  # the same in a URL as in the HTML
        )
    ):
        return None
    line = delivery["delivery"]
    shown = (channel, code_length, line.state, line.line, line.reason)

    def build(markers: dict[str, str]) -> dict[str, Any]:
        ticket = markers["ticket"]
        screen = screens.code(
            ticket_id=ticket,
            channel=channel,
            recipient=markers["recipient"],
            code_length=code_length,
            back_url=url_for("endings.change", ticket_id=ticket),
            delivery=delivery | {"delivery_url": url_for("delivery.status", ticket_id=ticket)},
        )
        _mark_csrf(markers, screen.context["form"], screen.context["resend_form"])
        return screen.context

    values = {"ticket": ticket_id, "recipient": recipient, "nonce": security.csp_nonce()}
    values |= _csrf_value()
    return render(template, client, g.theme, shown, build, values)


def _mark_csrf(markers: dict[str, str], *forms) -> None:
    """The forms' CSRF field shows the marker (no field: CSRF is off)."""
    for form in forms:
        name = form.meta.csrf_field_name if form.meta.csrf else None
        if name and name in form:
            form[name].current_token = markers["csrf"]


def _csrf_value() -> dict[str, str]:
    """This request's CSRF token, as a page's forms would make it (none when CSRF is off:
    the session is then left as it is)."""
    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return {}
    return {"csrf": generate_csrf()}


def keeps(template: Template | list[str], page: str) -> bool:
    """Whether `template` (theme_setup.page_template) is the shared page, kept here."""
    return isinstance(template, Template) and template.name == page


def look_of(client: Client) -> tuple:
    """What of an app the shared pages show (templates/layout.html)."""
    return (
        client.id,
        client.name,
        client.primary_color,
        client.background_color,
        client.logo_sha256,
    )


def render(
    template: Template,
    client: Client,
    theme: str,
    shown: tuple,
    build: Callable[[dict[str, str]], dict[str, Any]],
    values: dict[str, str],
) -> str:
    """The page for `client` with `values` (by slot) filled in; `shown` is what else of
    the page's context it shows; `build(markers)` gives the template's context, with the
    markers in place of the values, when the page is rendered."""
    key = (template.name, theme, str(get_locale()), request.script_root, look_of(client), shown)
    pages = current_app.extensions.setdefault(CACHE, {})
    html = pages.get(key)
    if html is None:
        context = build(MARKERS)
        html = render_template(template, client=client, csp_nonce=MARKERS["nonce"], **context)
        if len(pages) >= MAX_PAGES:
            pages.clear()
        if not (values.get("csrf") and values["csrf"] in html):  # never keep a person's token
            pages[key] = html
    for slot, value in values.items():
        html = html.replace(MARKERS[slot], str(escape(value)))
    return html
