"""The hosted login page: email step, code step, resend and restart. Thin views."""

from __future__ import annotations

from urllib.parse import urlencode

from authlib.oauth2 import OAuth2Error
from flask import (
    Blueprint,
    current_app,
    g,
    redirect,
    render_template,
    request,
    url_for,
)

from .. import binding, links, oidc, passwordless, themes
from ..addresses import InvalidAddress, normalize_email
from ..extensions import limiter
from ..models import Client
from .errors import error_page, oauth_error
from .forms import ActionForm, CodeForm, EmailForm

bp = Blueprint("login", __name__)

NOTICES = {"resent": "We sent the code again.", "new": "We sent you a new code."}
DEAD_STATUS = {"other_browser": 403}


def _requester() -> passwordless.Requester:
    return passwordless.Requester(ip=request.remote_addr, user_agent=request.user_agent.string)


def _binding_cookie() -> str | None:
    return request.cookies.get(current_app.config["BINDING_COOKIE_NAME"])


def _page(name: str, client: Client | None, status: int = 200, **context):
    g.theme = (client.theme if client else None) or current_app.config["DEFAULT_THEME"]
    g.no_store = True
    html = render_template(themes.template_for(name, g.theme), client=client, **context)
    return html, status


def _authorize_url(params: dict) -> str:
    return url_for("oidc.authorize") + "?" + urlencode(params)


def show_email_step(client: Client, params: dict, error: str | None = None, typed: str = ""):
    """Render "Enter your email" for a validated authorize request."""
    form = EmailForm(formdata=None, authz=links.sign_authorize_request(params))
    form.email.data = typed or params.get("login_hint", "")
    status = 400 if error else 200
    return _page("login/email.html", client, status, form=form, error=error)


@bp.post("/login/start")
@limiter.limit(lambda: current_app.config["START_RATE_LIMIT"])
def start():
    form = EmailForm()
    try:
        params = links.load_authorize_request(form.authz.data)
    except links.ExpiredToken:
        return error_page(400, "This page has expired", "Go back to the app and sign in again.")
    except links.BadToken:
        return error_page(400, "This request was changed", "Go back to the app and try again.")
    query = oidc.query_client(params.get("client_id"))
    if query is None:
        return error_page(400, "Unknown app", "The app that sent you here is not registered.")
    client = query.row
    try:
        email = normalize_email(form.email.data)
    except InvalidAddress as error:
        return show_email_step(client, params, str(error), typed=(form.email.data or "")[:320])

    cookie = _binding_cookie() or binding.new_value()
    ticket = passwordless.start(
        "email",
        email,
        client=client,
        authorize_params=params,
        binding_value=cookie,
        requester=_requester(),
    )
    response = redirect(waiting_url(ticket), 303)
    response.set_cookie(
        current_app.config["BINDING_COOKIE_NAME"],
        cookie,
        max_age=30 * 24 * 3600,
        httponly=True,
        samesite="Lax",
        secure=current_app.config["BINDING_COOKIE_SECURE"],
        path="/",
    )
    return response


def waiting_url(ticket, notice: str | None = None) -> str:
    """Where a browser waits after asking: "Check your email" for a link, else the code page."""
    if ticket.link_nonce_hash:
        return url_for("links.wait", ticket_id=ticket.id, notice=notice)
    return url_for("login.code_step", ticket_id=ticket.id, notice=notice)


def _code_page(ticket, error: str | None = None, notice: str | None = None, status: int = 200):
    return _page(
        "login/code.html",
        ticket.client,
        status,
        form=CodeForm(formdata=None),
        resend_form=ActionForm(formdata=None),
        ticket_id=ticket.id,
        recipient=ticket.recipient,
        code_length=passwordless.code_length(ticket),
        error=error,
        notice=notice,
        back_url=_authorize_url(ticket.authorize_params),
    )


def dead_page(ticket_id: str, failure: passwordless.LoginError):
    """No dead ends: every failure explains itself and offers the next step."""
    if isinstance(failure, passwordless.TicketNotFound):
        return error_page(
            404,
            "This sign-in has ended",
            "Go back to the app and sign in again.",
        )
    ticket = passwordless.find(ticket_id)
    same_browser = not isinstance(failure, passwordless.OtherBrowser)
    return _page(
        "login/dead.html",
        ticket.client,
        DEAD_STATUS.get(failure.reason, 200),
        reason=failure.reason,
        recipient=ticket.recipient if same_browser else None,
        restart_form=ActionForm(formdata=None),
        ticket_id=ticket_id,
        back_url=_authorize_url(ticket.authorize_params),
    )


@bp.get("/login/code/<ticket_id>")
def code_step(ticket_id: str):
    try:
        ticket = passwordless.load(ticket_id, _binding_cookie())
        passwordless.check_alive(ticket)
    except passwordless.LoginError as failure:
        return dead_page(ticket_id, failure)
    return _code_page(ticket, notice=NOTICES.get(request.args.get("notice", "")))


@bp.post("/login/code/<ticket_id>")
@limiter.limit(lambda: current_app.config["VERIFY_RATE_LIMIT"])
def verify(ticket_id: str):
    form = CodeForm()
    try:
        sign_in = passwordless.verify_code(
            ticket_id, form.code.data or "", _binding_cookie(), _requester()
        )
    except passwordless.WrongCode as wrong:
        ticket = passwordless.load(ticket_id, _binding_cookie())
        tries = "1 try" if wrong.tries_left == 1 else f"{wrong.tries_left} tries"
        return _code_page(ticket, error=f"That code isn't right. {tries} left.", status=400)
    except passwordless.SignInRefused:
        return error_page(403, "You can't sign in here", "Contact the app's support team.")
    except passwordless.LoginError as failure:
        return dead_page(ticket_id, failure)
    try:
        return oidc.complete_authorization(sign_in)
    except OAuth2Error as error:
        return oauth_error(error)


@bp.post("/login/resend/<ticket_id>")
@limiter.limit(lambda: current_app.config["START_RATE_LIMIT"])
def resend(ticket_id: str):
    ActionForm()
    try:
        ticket = passwordless.resend(ticket_id, _binding_cookie(), _requester())
    except passwordless.LoginError as failure:
        return dead_page(ticket_id, failure)
    return redirect(waiting_url(ticket, notice="resent"), 303)


@bp.post("/login/restart/<ticket_id>")
@limiter.limit(lambda: current_app.config["START_RATE_LIMIT"])
def restart(ticket_id: str):
    ActionForm()
    try:
        ticket = passwordless.restart(ticket_id, _binding_cookie(), _requester())
    except passwordless.LoginError as failure:
        return dead_page(ticket_id, failure)
    return redirect(waiting_url(ticket, notice="new"), 303)
