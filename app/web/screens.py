"""The hosted page's screens: each one's template and the context it renders with.

One place builds each screen's context, from plain values: the views
(app/web/login.py) fill it from a real sign-in, the theme preview's samples
(app/web/samples.py) and the page tests from sample data, so all three render
the same screen the same way.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from .forms import ActionForm, CodeForm, EmailForm, PhoneForm


class Screen(NamedTuple):
    """A page template and its context (the client is added when rendering)."""

    template: str
    context: dict[str, Any]


def email(
    *,
    authz: str = "",
    typed: str = "",
    error: str | None = None,
    switch: dict[str, str] | None = None,
) -> Screen:
    """ "Enter your email": the address typed so far, and links to the other screens."""
    form = EmailForm(formdata=None, authz=authz) if authz else EmailForm(formdata=None)
    if typed:
        form.email.data = typed
    return Screen("login/email.html", {"form": form, "error": error, "switch": switch})


def phone(
    *,
    countries: list,
    country: str,
    authz: str = "",
    typed: str = "",
    error: str | None = None,
    switch: dict[str, str] | None = None,
) -> Screen:
    """ "Enter your phone number" with the country picker set to `country`."""
    form = PhoneForm(formdata=None, authz=authz) if authz else PhoneForm(formdata=None)
    if typed:
        form.phone_number.data = typed
    form.country.data = country
    context = {"form": form, "error": error, "countries": countries, "switch": switch}
    return Screen("login/phone.html", context)


def code(
    *,
    ticket_id: str,
    channel: str,
    recipient: str,
    code_length: int,
    back_url: str,
    error: str | None = None,
    notice: str | None = None,
    delivery: dict[str, Any] | None = None,
    step_up: bool = False,
) -> Screen:
    """ "Enter the code we sent to …", with resend and a way back; `delivery` is the
    delivery line's context (app/web/delivery.py), None to show no line; `step_up`: the
    second code a post-login hook asked for."""
    context = (delivery or {}) | {
        "form": CodeForm(formdata=None),
        "resend_form": ActionForm(formdata=None),
        "ticket_id": ticket_id,
        "channel": channel,
        "recipient": recipient,
        "code_length": code_length,
        "error": error,
        "notice": notice,
        "back_url": back_url,
        "step_up": step_up,
    }
    return Screen("login/code.html", context)


def dead(
    *, reason: str, ticket_id: str, channel: str, recipient: str | None, back_url: str
) -> Screen:
    """A sign-in that cannot go on (`reason`), and the next step."""
    context = {
        "reason": reason,
        "channel": channel,
        "recipient": recipient,
        "restart_form": ActionForm(formdata=None),
        "ticket_id": ticket_id,
        "back_url": back_url,
    }
    return Screen("login/dead.html", context)


def switch_account(
    *,
    action: str,
    fields: dict[str, str],
    current: str,
    shown: str,
    channel: str,
    back_url: str,
) -> Screen:
    """ "Continue as …?": someone else is signed in; the form posts again with switch=1."""
    context = {
        "action": action,
        "fields": fields | {"switch": "1"},
        "csrf_form": ActionForm(formdata=None),
        "current": current,
        "email": shown,
        "channel": channel,
        "back_url": back_url,
    }
    return Screen("login/switch.html", context)
