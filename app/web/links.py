"""Magic link pages: the waiting page, the link itself, and the other-browser choices.

GET and HEAD never change anything (mail scanners open links first); every step
that signs someone in is a POST with a CSRF token. Thin views over app/signin/magic_links.py.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import (
    Blueprint,
    jsonify,
    redirect,
    request,
    url_for,
)
from flask_babel import gettext as _

from app import limits, oidc
from app.accounts import sessions
from app.signin import api_tickets, binding, link_tokens, magic_links, tickets
from app.web import locale, user_agents

from ..extensions import db
from ..models import LoginTicket, utcnow
from . import binding_cookie, delivery, post_login, sso
from .endings import change_url, ended_page
from .errors import error_page
from .forms import ActionForm, NumberForm, check_posted_action
from .login import (
    _page,
    _requester,
    _use_language,
    dead_page,
)

bp = Blueprint("links", __name__)

ENDED = {
    "used": tickets.TicketUsed,
    "expired": tickets.TicketExpired,
    "attempts": tickets.TooManyAttempts,
}


# --- The first browser: "Check your email" -----------------------------------------


@bp.get("/login/wait/<ticket_id>")
def wait(ticket_id: str):
    try:
        status, ticket = magic_links.waiting_status(ticket_id, binding_cookie.read())
    except tickets.LoginError as failure:
        return dead_page(ticket_id, failure)
    if status == "replaced":
        return redirect(url_for("links.wait", ticket_id=ticket.replaced_by), 303)
    if status in ENDED:
        return ended_page(ticket)
    _use_language(ticket.client, ticket.authorize_params)
    return _page(
        "login/wait.html",
        ticket.client,
        ticket_id=ticket.id,
        recipient=ticket.recipient,
        match_number=ticket.match_number,
        approved=status == "approved",
        resend_form=ActionForm(formdata=None),
        finish_form=ActionForm(formdata=None),
        notice=_notice(request.args.get("notice", "")),
        back_url=_back_url(ticket),
        **delivery.page_context(ticket),
    )


@bp.get("/login/wait/<ticket_id>/status")
def wait_status(ticket_id: str):
    """Polled by the waiting page: {"status": waiting|approved|replaced|used|expired|attempts}."""
    try:
        status, ticket = magic_links.waiting_status(ticket_id, binding_cookie.read())
    except tickets.LoginError as failure:
        return jsonify(status=failure.reason), 404
    answer = {"status": status}
    if status == "replaced":
        answer["next"] = url_for("links.wait", ticket_id=ticket.replaced_by)
    return jsonify(answer)


@bp.post("/login/wait/<ticket_id>/finish")
@limits.per_request("VERIFY_RATE_LIMIT")
def finish(ticket_id: str):
    check_posted_action()

    def failed(failure: tickets.LoginError):
        if isinstance(failure, magic_links.NotApproved):
            return redirect(url_for("links.wait", ticket_id=ticket_id), 303)
        return dead_page(ticket_id, failure)

    return _sign_in(
        lambda: magic_links.finish_approved(ticket_id, binding_cookie.read(), _requester()), failed
    )


# --- The link ------------------------------------------------------------------------


@bp.get("/login/link/<token>")
def open_link(token: str):
    """Read-only, from anything: the browser that asked gets a page that submits
    itself; any other browser gets the choices."""
    try:
        opened = magic_links.open_link(token, binding_cookie.read())
    except tickets.LoginError as failure:
        return _link_ended(token, failure)
    ticket = opened.ticket
    _use_language(ticket.client, ticket.authorize_params)
    if opened.same_browser:
        return _page("login/link.html", ticket.client, token=token, form=ActionForm(formdata=None))
    if api_tickets.is_api_ticket(ticket):
        return _app_link_page(token, ticket)
    return _elsewhere_page(token, ticket)


@bp.post("/login/link/<token>")
@limits.per_request("VERIFY_RATE_LIMIT")
def confirm(token: str):
    check_posted_action()

    def failed(failure: tickets.LoginError):
        if isinstance(failure, tickets.OtherBrowser):
            return redirect(url_for("links.open_link", token=token), 303)
        return _link_ended(token, failure)

    return _sign_in(
        lambda: magic_links.verify_link(token, binding_cookie.read(), _requester()), failed
    )


@bp.post("/login/link/<token>/approve")
@limits.per_request("VERIFY_RATE_LIMIT")
def approve(token: str):
    form = NumberForm()
    try:
        ticket = magic_links.approve_by_number(token, form.number.data or "", _requester())
    except tickets.LoginError as failure:
        return _link_ended(token, failure)
    _use_language(ticket.client, ticket.authorize_params)
    return _page("login/link_approved.html", ticket.client, device=_device(ticket))


@bp.get("/login/link/<token>/here")
def continue_here_page(token: str):
    """ "Continue as x@y?": read-only; the POST below does it."""
    try:
        ticket = magic_links.open_link(token, None).ticket
    except tickets.LoginError as failure:
        return _link_ended(token, failure)
    if not (ticket.client and ticket.client.initiate_login_uri):
        return redirect(url_for("links.open_link", token=token), 303)
    _use_language(ticket.client, ticket.authorize_params)
    return _page(
        "login/link_here.html",
        ticket.client,
        token=token,
        recipient=ticket.recipient,
        form=ActionForm(formdata=None),
    )


@bp.post("/login/link/<token>/here")
@limits.per_request("VERIFY_RATE_LIMIT")
def continue_here(token: str):
    check_posted_action()
    try:
        sign_in = magic_links.continue_here(token, _requester())
    except magic_links.NoInitiateLogin:
        return redirect(url_for("links.open_link", token=token), 303)
    except tickets.SignInRefused:
        return _refused()
    except tickets.LoginError as failure:
        return _link_ended(token, failure)
    client = sign_in.ticket.client
    value = sessions.begin(sign_in, sso.cookie_value(), _requester(), only_client=client.client_id)
    db.session.commit()  # the ticket used and the session begun, together
    response = redirect(
        oidc.initiate_login_url(client.initiate_login_uri, sign_in.ticket.recipient)
    )
    return sso.set_cookie(response, value)


@bp.post("/login/link/<token>/app")
@limits.per_request("VERIFY_RATE_LIMIT")
def continue_for_app(token: str):
    """A link an app asked for (POST /passwordless/start): this browser completes the
    app's authorize request (no SSO session: the person approved this app only)."""
    check_posted_action()
    try:
        sign_in = api_tickets.link_sign_in(token, _requester())
    except tickets.OtherBrowser:
        return redirect(url_for("links.open_link", token=token), 303)
    except tickets.SignInRefused:
        return _refused()
    except tickets.LoginError as failure:
        return _link_ended(token, failure)
    return post_login.finish(sign_in, _requester(), sso_session=False)


@bp.post("/login/link/<token>/renew")
@limits.per_request("START_RATE_LIMIT")
@limits.per_request(
    "LINK_RENEW_RATE_LIMIT",
    key_func=lambda: _renew_limit_key((request.view_args or {}).get("token", "")),
)
def renew(token: str):
    """One click: a new link to the same address (never shown to a stranger)."""
    check_posted_action()
    old = magic_links.ticket_named_by(token)
    if old is not None:
        _use_language(old.client, old.authorize_params)
    try:
        ticket = magic_links.send_new_link(token, _requester(), language=locale.current_language())
    except tickets.LoginError as failure:
        return _link_ended(token, failure)
    if binding.matches(binding_cookie.read(), ticket.binding_hash):
        return redirect(url_for("links.wait", ticket_id=ticket.id, notice="new"), 303)
    _use_language(ticket.client, ticket.authorize_params)
    return _page("login/link_sent.html", ticket.client, recipient=ticket.recipient)


def _renew_limit_key(token: str) -> str:
    """The per-link limit counts the ticket the link names, not the link's spelling."""
    return "link-renew:" + (link_tokens.ticket_id_of_link(token) or "unreadable")


# --- Steps ---------------------------------------------------------------------------


def _elsewhere_page(token: str, ticket: LoginTicket):
    client = ticket.client
    return _page(
        "login/link_elsewhere.html",
        client,
        token=token,
        device=_device(ticket),
        form=NumberForm(formdata=None),
        code_length=tickets.code_length(ticket),
        can_continue_here=bool(client and client.initiate_login_uri),
    )


def _app_link_page(token: str, ticket: LoginTicket):
    """ "Continue as x@y?" for a link an app asked for: no browser is waiting for it."""
    return _page(
        "login/link_here.html",
        ticket.client,
        token=token,
        recipient=ticket.recipient,
        form=ActionForm(formdata=None),
        action=url_for("links.continue_for_app", token=token),
    )


def _device(ticket: LoginTicket) -> dict:
    """Which browser and system asked, and how long ago (for a person to recognise)."""
    browser, system = user_agents.describe(ticket.user_agent)
    minutes = max(0, int((utcnow() - ticket.created_at).total_seconds() // 60))
    return {
        "browser": browser,
        "system": system,
        "minutes_ago": minutes,
        "time": ticket.created_at.strftime("%H:%M"),
    }


def _link_ended(token: str, failure: tickets.LoginError):
    """Expired, used, tampered, ended by a wrong number: say which, offer a new link."""
    ticket = magic_links.ticket_named_by(token)
    if ticket is not None:
        _use_language(ticket.client, ticket.authorize_params)
    status = 400 if isinstance(failure, magic_links.LinkTampered) else 200
    return _page(
        "login/link_dead.html",
        ticket.client if ticket else None,
        status,
        reason=failure.reason,
        token=token,
        can_renew=ticket is not None and ticket.deliver,
        renew_form=ActionForm(formdata=None),
    )


def _sign_in(step: Callable[[], tickets.SignIn], failed: Callable):
    """Run a sign-in step: success goes back to the app, a failure to `failed`'s page."""
    try:
        sign_in = step()
    except tickets.SignInRefused:
        return _refused()
    except tickets.LoginError as failure:
        return failed(failure)
    return post_login.finish(sign_in, _requester())


def _refused():
    return error_page(403, _("You can't sign in here"), _("Contact the app's support team."))


def _notice(key: str) -> str | None:
    if key == "resent":
        return _("We sent the email again.")
    if key == "new":
        return _("We sent you a new link.")
    return None


def _back_url(ticket: LoginTicket) -> str:
    return change_url(ticket)
