"""The account page's steps that send a code to the person's own address: deleting the
account, and "Confirm it's you" before a change when the sign-in is no longer fresh
(ACCOUNT_FRESH_SECONDS). Routes of app/web/account.py's blueprint; the code they send
is checked by its `verify` view."""

from __future__ import annotations

from app import limits
from app.signin import account_codes, sms_guard

from . import account_screens as screens
from .account import bp, current_visit, overview_page, own_recipient, render, send_code, signed_out
from .forms import check_posted_action


@bp.get("/delete")
def delete():
    return _own_address_page(screens.delete)


@bp.post("/delete")
@limits.per_request("START_RATE_LIMIT")
def send_delete_code():
    return _send_own_code(account_codes.DELETE)


@bp.get("/confirm")
def confirm():
    return _own_address_page(screens.confirm)


@bp.post("/confirm")
@limits.per_request("START_RATE_LIMIT")
def send_confirm_code():
    return _send_own_code(account_codes.CONFIRM)


def _own_address_page(screen):
    """A step that will send a code to the person's own address, before it is sent."""
    visit = current_visit()
    if visit.user is None:
        return signed_out(visit)
    connection, recipient = own_recipient(visit)
    return render(screen(recipient=screens.shown(connection, recipient), query=visit.query), visit)


def _send_own_code(purpose: str):
    """Send a code for `purpose` to the person's own address and show its code page."""
    check_posted_action()
    visit = current_visit()
    if visit.user is None:
        return signed_out(visit, 403)
    connection, recipient = own_recipient(visit)
    try:
        return send_code(visit, purpose, connection, recipient)
    except sms_guard.SmsRefused as refused:
        return overview_page(visit, str(refused), refused.status)
