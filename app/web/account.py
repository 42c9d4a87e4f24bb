"""The account page, /account: a signed-in person (SSO session) sees their email
addresses and phone numbers, adds one (verified by a code sent there), removes one
that is not their last, merges another account whose address they proved, or deletes
their account (with a code). Thin views over app/signin/account_codes.py and
app/accounts/linking.py; the screens live in web/account_screens.py.

An app links here as `/account?client_id=…&return_to=…`: the page then wears the
app's look and language, and "Back to <app>" goes to `return_to` when it is one of
the app's registered logout URLs exactly (else to the first of them; none: no link).
"""

from __future__ import annotations

from typing import NamedTuple

from flask import Blueprint, current_app, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app import limits
from app.accounts import clients, linking
from app.accounts.connections import get_connection
from app.models import BrowserSession, Client, User
from app.signin import account_codes, binding, phones, sms_guard, tickets
from app.signin.addresses import InvalidAddress, normalize_email
from app.web import locale

from . import account_screens as screens
from . import binding_cookie, sso, theme_setup
from .account_screens import AddEmailForm, AddPhoneForm, RemoveForm
from .forms import CodeForm, check_posted_action

bp = Blueprint("account", __name__, url_prefix="/account")

NOTICES = {
    "added": _l("Added to your account."),
    "already": _l("That is already on your account."),
    "merged": _l("The other account is now part of this one."),
    "removed": _l("Removed from your account."),
    "resent": _l("We sent the code again."),
    "confirmed": _l("Thanks. You can change your account now."),
}


class Visit(NamedTuple):
    """Who is here (None: no session), for which app, and where "Back" goes."""

    user: User | None
    row: BrowserSession | None
    client: Client | None
    back_url: str | None
    query: dict[str, str]


def current_visit() -> Visit:
    """Who is here, for which app, from the request's SSO cookie and query."""
    client_id = request.args.get("client_id", "")[:64]
    client = clients.find_client(client_id) if client_id else None
    query, back_url = {}, None
    if client is not None:
        query["client_id"] = client.client_id
        return_to = request.args.get("return_to", "")[:2000]
        if return_to and return_to in (client.logout_urls or []):
            query["return_to"] = back_url = return_to
        elif client.logout_urls:
            back_url = client.logout_urls[0]
    locale.use_for_page(request.args.get("ui_locales"), client.default_language if client else None)
    row = sso.current()
    if row is not None and row.client_id is not None:
        row = None  # a session that serves one app only ("Continue on this device")
    return Visit(row.user if row else None, row, client, back_url, query)


def render(screen: screens.Screen, visit: Visit, status: int = 200):
    html = theme_setup.render_page(screen.template, visit.client, **screen.context)
    return html, status


def _requester() -> tickets.Requester:
    return tickets.Requester(ip=request.remote_addr, user_agent=request.user_agent.string)


def signed_out(visit: Visit, status: int = 200):
    screen = screens.message(kind="signed_out", query=visit.query, back_url=visit.back_url)
    return render(screen, visit, status)


def refusal(visit: Visit, status: int = 403):
    """The page instead of a change: no session here, or a sign-in too old to change the
    account (then "Confirm it's you"); None when the change may go on."""
    if visit.user is None:
        return signed_out(visit, status)
    if not account_codes.is_fresh(visit.row):
        connection, recipient = own_recipient(visit)
        screen = screens.confirm(recipient=screens.shown(connection, recipient), query=visit.query)
        return render(screen, visit)
    return None


def overview_page(visit: Visit, error: str | None = None, status: int = 200):
    identities = screens.rows(visit.user.identities)
    screen = screens.overview(
        signed_in_as=screens.shown(visit.row.connection, visit.row.recipient),
        identities=identities,
        query=visit.query,
        back_url=visit.back_url,
        error=error,
        notice=NOTICES.get(request.args.get("notice", "")),
    )
    return render(screen, visit, status)


def _home(visit: Visit, notice: str | None = None):
    return redirect(url_for("account.index", notice=notice, **visit.query), 303)


@bp.get("")
def index():
    visit = current_visit()
    return overview_page(visit) if visit.user else signed_out(visit)


@bp.get("/add/email")
def add_email_page():
    visit = current_visit()
    return refusal(visit, 200) or _add_page(visit, "email")


@bp.get("/add/sms")
def add_sms_page():
    visit = current_visit()
    return refusal(visit, 200) or _add_page(visit, "sms")


def _add_page(
    visit: Visit, channel: str, error: str | None = None, typed: str = "", country: str = ""
):
    extra = {}
    if channel == "sms":
        connection = get_connection("sms")
        allowed = list(connection.allowed_countries or [])
        tags = [tag for tag, _q in request.accept_languages]
        picked = country if phones.is_country(country) else None
        extra = {
            "countries": phones.countries(locale.current_language(), allowed or None),
            "country": picked or phones.default_country(connection.default_country, allowed, tags),
        }
    screen = screens.add(channel=channel, query=visit.query, typed=typed, error=error, **extra)
    return render(screen, visit, 400 if error else 200)


@bp.post("/add/email")
@limits.per_request("START_RATE_LIMIT")
def add_email():
    form = AddEmailForm()  # reads the body first: an oversized one is a 413
    visit = current_visit()
    if (refused := refusal(visit)) is not None:
        return refused
    typed = (form.email.data or "")[:320]
    try:
        email = normalize_email(typed)
    except InvalidAddress as error:
        return _add_page(visit, "email", str(error), typed)
    return send_code(visit, account_codes.ADD, "email", email)


@bp.post("/add/sms")
@limits.per_request("START_RATE_LIMIT")
def add_sms():
    form = AddPhoneForm()
    visit = current_visit()
    if (refused := refusal(visit)) is not None:
        return refused
    typed, country = (form.phone_number.data or "")[:64], (form.country.data or "")[:8].upper()
    try:
        phone = phones.parse_phone(
            typed, country, mobile_only=current_app.config["SMS_MOBILE_ONLY"]
        )
        return send_code(visit, account_codes.ADD, "sms", phone.e164)
    except (phones.InvalidPhone, sms_guard.SmsRefused) as error:
        return _add_page(visit, "sms", str(error), typed, country)


def send_code(visit: Visit, purpose: str, connection: str, recipient: str):
    """Open an account ticket for this browser and show its code page."""
    owns = any(i.connection == connection and i.value == recipient for i in visit.user.identities)
    if purpose == account_codes.ADD and owns:
        return _home(visit, "already")
    cookie = binding_cookie.read() or binding.new_value()
    ticket = account_codes.send(
        purpose,
        connection,
        recipient,
        user=visit.user,
        binding_value=cookie,
        requester=_requester(),
        language=locale.current_language(),
        client=visit.client,
    )
    target = url_for("account.code_step", ticket_id=ticket.id, **visit.query)
    return binding_cookie.set_on(redirect(target, 303), cookie)


def _code_page(visit: Visit, ticket, error: str | None = None, status: int = 200):
    screen = screens.code(
        ticket_id=ticket.id,
        purpose=ticket.purpose,
        channel=ticket.connection,
        recipient=screens.shown(ticket.connection, ticket.recipient),
        code_length=tickets.code_length(ticket),
        query=visit.query,
        error=error,
        notice=NOTICES.get(request.args.get("notice", "")) if not error else None,
    )
    return render(screen, visit, status)


def _ended(visit: Visit, failure: tickets.LoginError):
    status = 404 if isinstance(failure, tickets.TicketNotFound) else 400
    screen = screens.message(kind=failure.reason, query=visit.query, status=status)
    return render(screen, visit, status)


@bp.get("/code/<ticket_id>")
def code_step(ticket_id: str):
    visit = current_visit()
    if visit.user is None:
        return signed_out(visit)
    try:
        ticket = account_codes.load(ticket_id[:64], binding_cookie.read(), visit.user)
        tickets.check_alive(ticket)
    except tickets.LoginError as failure:
        return _ended(visit, failure)
    return _code_page(visit, ticket)


@bp.post("/code/<ticket_id>")
@limits.per_request("VERIFY_RATE_LIMIT")
def verify(ticket_id: str):
    code, cookie = (CodeForm().code.data or "")[:64], binding_cookie.read()
    visit = current_visit()
    if visit.user is None:
        return signed_out(visit, 403)
    try:
        ticket = account_codes.load(ticket_id[:64], cookie, visit.user)
        if ticket.purpose == account_codes.CONFIRM:
            account_codes.verify_confirm(ticket.id, code, cookie, visit.row, _requester())
            return _home(visit, "confirmed")
        if ticket.purpose == account_codes.DELETE:
            account_codes.verify_delete(ticket.id, code, cookie, visit.user, _requester())
            screen = screens.message(kind="deleted", query=visit.query, back_url=visit.back_url)
            return sso.clear_cookie(current_app.make_response(render(screen, visit)))
        verified = account_codes.verify_add(ticket.id, code, cookie, visit.user, _requester())
    except tickets.WrongCode as wrong:
        return _code_page(visit, ticket, screens.wrong_code(wrong.tries_left), 400)
    except tickets.LoginError as failure:
        return _ended(visit, failure)
    if verified.outcome != "offer":
        return _home(visit, verified.outcome)
    others = [screens.shown(i.connection, i.value) for i in verified.owner.identities]
    screen = screens.merge(
        ticket_id=ticket.id,
        recipient=screens.shown(ticket.connection, ticket.recipient),
        others=others,
        query=visit.query,
    )
    return render(screen, visit)


@bp.post("/resend/<ticket_id>")
@limits.per_request("START_RATE_LIMIT")
def resend(ticket_id: str):
    check_posted_action()
    visit = current_visit()
    if visit.user is None:
        return signed_out(visit, 403)
    try:
        ticket = account_codes.resend(
            ticket_id[:64], binding_cookie.read(), visit.user, _requester()
        )
    except tickets.LoginError as failure:
        return _ended(visit, failure)
    except sms_guard.SmsRefused as refused:
        ticket = account_codes.load(ticket_id[:64], binding_cookie.read(), visit.user)
        return _code_page(visit, ticket, str(refused), refused.status)
    target = url_for("account.code_step", ticket_id=ticket.id, notice="resent", **visit.query)
    return redirect(target, 303)


@bp.post("/merge/<ticket_id>")
@limits.per_request("VERIFY_RATE_LIMIT")
def merge(ticket_id: str):
    check_posted_action()
    visit = current_visit()
    if (refused := refusal(visit)) is not None:
        return refused
    try:
        account_codes.merge_after_code(ticket_id[:64], binding_cookie.read(), visit.user)
    except tickets.LoginError as failure:
        return _ended(visit, failure)
    except linking.CannotMerge:
        return overview_page(visit, _("These accounts cannot be merged."), 409)
    return _home(visit, "merged")


@bp.post("/remove")
def remove():
    form = RemoveForm()
    visit = current_visit()
    if (refused := refusal(visit)) is not None:
        return refused
    provider, user_id = (form.provider.data or "")[:16], (form.identity.data or "")[:64]
    try:
        linking.unlink(visit.user, provider, user_id)
    except linking.LastIdentity:
        return overview_page(visit, _("You can't remove the last way to sign in."), 409)
    except linking.IdentityNotFound:
        return overview_page(visit, _("That is not on your account."), 404)
    return _home(visit, "removed")


def own_recipient(visit: Visit) -> tuple[str, str]:
    """Where a code that confirms it is the person goes (deleting, confirming): the
    address this session signed in with, while it is still theirs, else their first one."""
    row = visit.row
    if any(
        i.connection == row.connection and i.value == row.recipient for i in visit.user.identities
    ):
        return row.connection, row.recipient
    first = visit.user.identities[0]
    return first.connection, first.value
