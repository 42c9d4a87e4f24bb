"""The first browser's view of a sign-in that ended, and "Use another email/phone".

Thin views: the story of an ending is named by app/signin/endings.py; this module
turns it into a page with the one next step that makes sense, and reopens the
first screen with what was typed (Lock keeps it, so a typo is one key away).
"""

from __future__ import annotations

from flask import Blueprint, redirect, url_for
from flask_babel import gettext as _

from app.signin import endings, phones, tickets

from ..models import LoginTicket
from . import binding_cookie, sso
from .errors import error_page
from .forms import ActionForm
from .login import (
    _authorize_url,
    _page,
    _shown,
    _use_language,
    show_email_step,
    show_phone_step,
    waiting_url,
)

bp = Blueprint("endings", __name__)


def ended_page(ticket: LoginTicket, ending: str | None = None):
    """ "You're signed in", "Signed in on your other device", "That number didn't
    match", "This link has expired": what happened, and what to do next."""
    signed_in = sso.current()
    ending = ending or endings.waiting_ending(ticket, signed_in.user_id if signed_in else None)
    _use_language(ticket.client, ticket.authorize_params)
    return _page(
        "login/ended.html",
        ticket.client,
        ending=ending,
        channel=ticket.connection,
        by_link=bool(ticket.link_nonce_hash),
        recipient=_shown(ticket.connection, ticket.recipient),
        restart_form=ActionForm(formdata=None),
        ticket_id=ticket.id,
        continue_url=_authorize_url(ticket.authorize_params),
        change_url=change_url(ticket),
    )


def change_url(ticket: LoginTicket) -> str:
    """ "Use another email/phone": back to the first screen with the address kept."""
    return url_for("endings.change", ticket_id=ticket.id)


@bp.get("/login/ended/<ticket_id>")
def ended(ticket_id: str):
    """Where a used ticket's pages send this browser (Back after signing in)."""
    try:
        ticket = tickets.load(ticket_id[:64], binding_cookie.read())
    except tickets.LoginError:
        return _no_sign_in()
    if endings.waiting_ending(ticket, None) is None:
        return redirect(waiting_url(ticket), 303)
    return ended_page(ticket)


@bp.get("/login/change/<ticket_id>")
def change(ticket_id: str):
    """The first screen again, holding what this browser typed (read-only)."""
    try:
        ticket = tickets.load(ticket_id[:64], binding_cookie.read())
    except tickets.OtherBrowser:
        ticket = tickets.find(ticket_id[:64])
        return redirect(_authorize_url(ticket.authorize_params), 303)
    except tickets.LoginError:
        return _no_sign_in()
    if ticket.client is None:
        return _no_sign_in()
    params = ticket.authorize_params
    if ticket.connection == "sms":
        phone = phones.from_e164(ticket.recipient)
        return show_phone_step(
            ticket.client, params, typed=phone.international, country=phone.country
        )
    return show_email_step(ticket.client, params, typed=ticket.recipient)


def _no_sign_in():
    return error_page(404, _("This sign-in has ended"), _("Go back to the app and sign in again."))
