"""The hosted login page: email or phone step, code step, resend and restart. Thin views."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import (
    Blueprint,
    current_app,
    redirect,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from app import limits, oidc
from app.accounts import sessions
from app.accounts.connections import get_connection
from app.signin import binding, link_tokens, phones, sms_guard, step_up, tickets, waiting
from app.signin.addresses import InvalidAddress, normalize_email
from app.web import locale

from ..models import Client
from . import binding_cookie, delivery, page_cache, post_login, screens, sso, theme_setup
from .errors import error_page
from .forms import CodeForm, EmailForm, PhoneForm, check_posted_action

bp = Blueprint("login", __name__)

NOTICES = {"resent": _l("We sent the code again."), "new": _l("We sent you a new code.")}
DEAD_STATUS = {"other_browser": 403}


def _requester() -> tickets.Requester:
    return tickets.Requester(ip=request.remote_addr, user_agent=request.user_agent.string)


def _use_language(client: Client | None, params: dict | None) -> None:
    """Pages of a sign-in speak what its authorize request asked for (web/locale.py)."""
    locale.use_for_page(
        (params or {}).get("ui_locales"), client.default_language if client else None
    )


def _page(name: str, client: Client | None, status: int = 200, **context):
    return theme_setup.render_page(name, client, **context), status


def _show(screen: screens.Screen, client: Client | None, status: int = 200):
    return _page(screen.template, client, status, **screen.context)


def _authorize_url(params: dict) -> str:
    return url_for("oidc.authorize") + "?" + urlencode(params)


def _switch(client: Client, params: dict) -> dict[str, str] | None:
    """Links to the app's other sign-in screens (email / phone), like Lock's; None when
    the app has only one."""
    enabled = client.enabled_connections
    if len(enabled) < 2:
        return None
    return {name: _authorize_url({**params, "connection": name}) for name in enabled}


def show_login_step(client: Client, params: dict):
    """Render the first screen for a validated authorize request: the one asked for by
    `connection=` when the app has it enabled, else the app's first connection."""
    enabled = client.enabled_connections
    asked = params.get("connection")
    if (asked if asked in enabled else enabled[0]) == "sms":
        return show_phone_step(client, params)
    return show_email_step(client, params)


def show_email_step(client: Client, params: dict, error: str | None = None, typed: str = ""):
    """Render "Enter your email" for a validated authorize request."""
    _use_language(client, params)
    authz = link_tokens.sign_authorize_request(params)
    typed, switch = typed or params.get("login_hint", ""), _switch(client, params)
    if not (error or typed or switch):  # how every sign-in starts: the page kept per app look
        page = page_cache.first_email_page(client, authz)
        if page is not None:
            return page, 200
    screen = screens.email(authz=authz, typed=typed, error=error, switch=switch)
    return _show(screen, client, 400 if error else 200)


def _language_tags(params: dict) -> list[str]:
    """The page's languages, most wanted first: ui_locales, then Accept-Language."""
    tags = (params.get("ui_locales") or "").split()
    return tags + [tag for tag, _ in request.accept_languages]


def show_phone_step(
    client: Client,
    params: dict,
    error: str | None = None,
    typed: str = "",
    country: str | None = None,
    status: int | None = None,
):
    """Render "Enter your phone number" with the country picker."""
    _use_language(client, params)
    connection = get_connection("sms")
    allowed = list(connection.allowed_countries or [])
    hint = params.get("login_hint", "")
    tags = _language_tags(params)
    picked = country if phones.is_country(country) else None
    screen = screens.phone(
        authz=link_tokens.sign_authorize_request(params),
        typed=typed or (hint if hint[:1] in "+0123456789" else ""),
        country=picked or phones.default_country(connection.default_country, allowed, tags),
        countries=phones.countries(tags[0] if tags else "en", allowed or None),
        error=error,
        switch=_switch(client, params),
    )
    return _show(screen, client, status or (400 if error else 200))


def _authorize_request_or_error(authz: str | None):
    """The signed authorize request of a posted screen and its client (whose language
    the page then speaks), or an error page."""
    try:
        params = link_tokens.load_authorize_request(authz)
    except link_tokens.ExpiredToken:
        return None, error_page(
            400, _("This page has expired"), _("Go back to the app and sign in again.")
        )
    except link_tokens.BadToken:
        return None, error_page(
            400, _("This request was changed"), _("Go back to the app and try again.")
        )
    query = oidc.query_client(params.get("client_id"))
    if query is None:
        return None, error_page(
            400, _("Unknown app"), _("The app that sent you here is not registered.")
        )
    _use_language(query.row, params)
    return (query.row, params), None


@bp.post("/login/start")
@limits.per_request("START_RATE_LIMIT")
def start():
    form = EmailForm()
    found, failure = _authorize_request_or_error(form.authz.data)
    if failure:
        return failure
    client, params = found
    try:
        email = normalize_email(form.email.data)
    except InvalidAddress as error:
        return show_email_step(client, params, str(error), typed=(form.email.data or "")[:320])

    return _start_and_show_code_page("email", email, client, params, form)


@bp.post("/login/start/sms")
@limits.per_request("START_RATE_LIMIT")
def start_sms():
    form = PhoneForm()
    found, failure = _authorize_request_or_error(form.authz.data)
    if failure:
        return failure
    client, params = found
    typed, country = (form.phone_number.data or "")[:64], (form.country.data or "")[:8].upper()
    try:
        phone = phones.parse_phone(
            typed, country, mobile_only=current_app.config["SMS_MOBILE_ONLY"]
        )
        return _start_and_show_code_page("sms", phone.e164, client, params, form)
    except (phones.InvalidPhone, sms_guard.SmsRefused) as error:
        status = getattr(error, "status", 400)
        return show_phone_step(client, params, str(error), typed, country, status)


def _start_and_show_code_page(
    connection: str, recipient: str, client: Client, params: dict, form: EmailForm | PhoneForm
):
    """Open a ticket for this browser and send it to the code page, with its binding cookie.

    When someone else is signed in in this browser, ask "Continue as …?" first."""
    signed_in = sso.current()
    if (
        signed_in
        and not sessions.owns(signed_in, connection, recipient)
        and form.switch.data != "1"
    ):
        return _switch_page(client, params, form, signed_in, connection, recipient)
    cookie = binding_cookie.read() or binding.new_value()
    try:
        ticket = tickets.start(
            connection,
            recipient,
            client=client,
            authorize_params=params,
            binding_value=cookie,
            requester=_requester(),
            language=locale.current_language(),
        )
    except tickets.ConnectionOff:
        if connection == "sms":
            return error_page(
                400, _("Sign-in by phone is off"), _("This app signs in by email only.")
            )
        return error_page(400, _("Sign-in by email is off"), _("This app signs in by phone only."))
    except tickets.SignupDisabled:
        message = _("Sign-up is disabled. Use the address of an existing account.")
        if connection == "sms":
            return show_phone_step(client, params, message, form.phone_number.data or "")
        return show_email_step(client, params, message, typed=recipient)
    return binding_cookie.set_on(redirect(waiting_url(ticket), 303), cookie)


def _shown(connection: str, recipient: str) -> str:
    """An address or number as the person would write it."""
    if connection == "sms":
        return phones.from_e164(recipient).international
    return recipient


def waiting_url(ticket, notice: str | None = None) -> str:
    """Where a browser waits after asking: "Check your email" for a link, else the code page."""
    if ticket.link_nonce_hash:
        return url_for("links.wait", ticket_id=ticket.id, notice=notice)
    return url_for("login.code_step", ticket_id=ticket.id, notice=notice)


def _switch_page(client: Client, params: dict, form, signed_in, channel: str, recipient: str):
    """Login CSRF / session swap: someone else is signed in in this browser. The same
    form posts again, with switch=1, once the person confirms."""
    fields = {
        field.name: field.data or "" for field in form if field.name not in ("csrf_token", "switch")
    }
    screen = screens.switch_account(
        action=request.path,
        fields=fields,
        current=sessions.display_name(signed_in),
        shown=_shown(channel, recipient),
        channel=channel,
        back_url=_authorize_url(params),
    )
    return _show(screen, client)


def _code_page(
    ticket,
    error: str | None = None,
    notice: str | None = None,
    status: int = 200,
    known: waiting.Waiting | None = None,
):
    """The code page; `known` is what waiting.load read with the ticket."""
    _use_language(ticket.client, ticket.authorize_params)
    second = step_up.is_step_up(ticket)  # a step-up's way back starts the sign-in again
    shown = _shown(ticket.connection, ticket.recipient)
    context = delivery.page_context(ticket, known.delivery() if known else None)
    length = known.code_length if known else tickets.code_length(ticket)
    if not (error or notice or second):  # as every sign-in sees it: the page kept per app look
        kept = page_cache.code_page(
            ticket.client, ticket.id, ticket.connection, shown, length, context
        )
        if kept is not None:
            return kept, status
    screen = screens.code(
        ticket_id=ticket.id,
        channel=ticket.connection,
        recipient=shown,
        code_length=length,
        back_url=_authorize_url(ticket.authorize_params)
        if second
        else url_for("endings.change", ticket_id=ticket.id),
        error=error,
        notice=notice,
        delivery=context,
        step_up=second,
    )
    return _show(screen, ticket.client, status)


def dead_page(ticket_id: str, failure: tickets.LoginError):
    """No dead ends: every failure explains itself and offers the next step."""
    if isinstance(failure, tickets.TicketNotFound):
        return error_page(
            404,
            _("This sign-in has ended"),
            _("Go back to the app and sign in again."),
        )
    ticket = tickets.find(ticket_id)
    _use_language(ticket.client, ticket.authorize_params)
    same_browser = not isinstance(failure, tickets.OtherBrowser)
    if same_browser and isinstance(failure, tickets.TicketUsed):
        return redirect(url_for("endings.ended", ticket_id=ticket.id), 303)
    screen = screens.dead(
        reason=failure.reason,
        ticket_id=ticket_id,
        channel=ticket.connection,
        recipient=_shown(ticket.connection, ticket.recipient) if same_browser else None,
        back_url=_authorize_url(ticket.authorize_params),
    )
    return _show(screen, ticket.client, DEAD_STATUS.get(failure.reason, 200))


@bp.get("/login/code/<ticket_id>")
def code_step(ticket_id: str):
    try:
        found = waiting.load(ticket_id, binding_cookie.read())
        tickets.check_alive(found.ticket)
    except tickets.LoginError as failure:
        return dead_page(ticket_id, failure)
    notice = NOTICES.get(request.args.get("notice", ""))
    return _code_page(found.ticket, notice=notice, known=found)


@bp.post("/login/code/<ticket_id>")
@limits.per_request("VERIFY_RATE_LIMIT")
def verify(ticket_id: str):
    form = CodeForm()
    try:
        sign_in = tickets.verify_code(
            ticket_id, form.code.data or "", binding_cookie.read(), _requester()
        )
    except tickets.WrongCode as wrong:
        ticket = tickets.load(ticket_id, binding_cookie.read())
        _use_language(ticket.client, ticket.authorize_params)
        error = ngettext(
            "That code isn't right. %(num)d try left.",
            "That code isn't right. %(num)d tries left.",
            wrong.tries_left,
        )
        return _code_page(ticket, error=error, status=400)
    except tickets.SignInRefused:
        return error_page(403, _("You can't sign in here"), _("Contact the app's support team."))
    except tickets.LoginError as failure:
        return dead_page(ticket_id, failure)
    return post_login.finish(sign_in, _requester())


@bp.post("/login/resend/<ticket_id>")
@limits.per_request("START_RATE_LIMIT")
def resend(ticket_id: str):
    check_posted_action()
    try:
        ticket = tickets.resend(ticket_id, binding_cookie.read(), _requester())
    except tickets.LoginError as failure:
        return dead_page(ticket_id, failure)
    except sms_guard.SmsRefused as refused:
        ticket = tickets.load(ticket_id, binding_cookie.read())
        return _code_page(ticket, error=str(refused), status=refused.status)
    return redirect(waiting_url(ticket, notice="resent"), 303)


@bp.post("/login/restart/<ticket_id>")
@limits.per_request("START_RATE_LIMIT")
def restart(ticket_id: str):
    check_posted_action()
    old = tickets.find(ticket_id)
    if old is not None:
        _use_language(old.client, old.authorize_params)
    try:
        ticket = tickets.restart(
            ticket_id, binding_cookie.read(), _requester(), language=locale.current_language()
        )
    except tickets.LoginError as failure:
        return dead_page(ticket_id, failure)
    except sms_guard.SmsRefused as refused:
        return error_page(refused.status, _("We can't send a new code"), str(refused))
    return redirect(waiting_url(ticket, notice="new"), 303)
