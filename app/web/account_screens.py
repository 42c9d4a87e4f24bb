"""The account page's screens (app/web/account.py): each one's template and context,
built from plain values, so the views and the theme preview's samples render them
alike. Its forms live here too (field names: email, phone_number, country, code,
provider, identity)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext
from wtforms import HiddenField, StringField

from app.signin import phones as phone_numbers
from app.web import locale

from .forms import ActionForm, CodeForm, PageForm
from .screens import Screen


class AddEmailForm(PageForm):
    email = StringField("Email")


class AddPhoneForm(PageForm):
    country = StringField("Country")
    phone_number = StringField("Phone number")


class RemoveForm(PageForm):
    """Remove one identity: Auth0's provider (`email` | `sms`) and its user_id."""

    provider = HiddenField()
    identity = HiddenField()


def shown(connection: str, value: str) -> str:
    """An address or number as the person would write it."""
    if connection == "sms":
        return phone_numbers.from_e164(value).international
    return value


def overview(
    *,
    signed_in_as: str,
    identities: list[dict[str, str]],
    query: dict[str, str],
    back_url: str | None,
    error: str | None = None,
    notice: str | None = None,
) -> Screen:
    """The account page: the person's addresses and numbers (`identities`: provider,
    user_id, shown), ways to add one, remove one (not the last) or delete the account."""
    context = {
        "signed_in_as": signed_in_as,
        "emails": [i for i in identities if i["provider"] == "email"],
        "phones": [i for i in identities if i["provider"] == "sms"],
        "can_remove": len(identities) > 1,
        "remove_form": ActionForm(formdata=None),
        "query": query,
        "back_url": back_url,
        "error": error,
        "notice": notice,
    }
    return Screen("account/index.html", context)


def add(
    *,
    channel: str,
    query: dict[str, str],
    typed: str = "",
    country: str = "US",
    countries: list | None = None,
    error: str | None = None,
) -> Screen:
    """ "Add an email address" or "Add a phone number" (with the country picker)."""
    if channel == "sms":
        form: PageForm = AddPhoneForm(formdata=None)
        form.phone_number.data = typed
        form.country.data = country
    else:
        form = AddEmailForm(formdata=None)
        form.email.data = typed
    context = {
        "channel": channel,
        "form": form,
        "countries": countries or [],
        "query": query,
        "error": error,
    }
    return Screen("account/add.html", context)


def code(
    *,
    ticket_id: str,
    purpose: str,
    channel: str,
    recipient: str,
    code_length: int,
    query: dict[str, str],
    error: str | None = None,
    notice: str | None = None,
) -> Screen:
    """ "Enter the code we sent to …", to add that address or to delete the account."""
    context = {
        "form": CodeForm(formdata=None),
        "resend_form": ActionForm(formdata=None),
        "ticket_id": ticket_id,
        "deleting": purpose == "account.delete",
        "channel": channel,
        "recipient": recipient,
        "code_length": code_length,
        "query": query,
        "error": error,
        "notice": notice,
    }
    return Screen("account/code.html", context)


def merge(*, ticket_id: str, recipient: str, others: list[str], query: dict[str, str]) -> Screen:
    """The verified address is another account's: merge it into this one? (`others`: that
    account's addresses and numbers, as shown)."""
    context = {
        "form": ActionForm(formdata=None),
        "ticket_id": ticket_id,
        "recipient": recipient,
        "others": others,
        "query": query,
    }
    return Screen("account/merge.html", context)


def delete(*, recipient: str, query: dict[str, str]) -> Screen:
    """ "Delete your account?": a code goes to `recipient` to confirm."""
    context = {"form": ActionForm(formdata=None), "recipient": recipient, "query": query}
    return Screen("account/delete.html", context)


def message(
    *, kind: str, query: dict[str, str], back_url: str | None = None, status: int = 200
) -> Screen:
    """A page that only tells: `deleted`, `signed_out` (no session here), or an ended
    code (`expired`, `attempts`, `used`, `not_found`)."""
    context = {"kind": kind, "query": query, "back_url": back_url, "status": status}
    return Screen("account/message.html", context)


def wrong_code(tries_left: int) -> str:
    return ngettext(
        "That code isn't right. %(num)d try left.",
        "That code isn't right. %(num)d tries left.",
        tries_left,
    )


def samples() -> dict[str, tuple[str, dict[str, Any]]]:
    """Every account screen with sample data, for the theme preview and screenshots."""
    query = {"client_id": "sample"}
    back = "https://notes.example/"
    identities = [
        {"provider": "email", "user_id": "a1", "shown": "alice@example.com"},
        {"provider": "email", "user_id": "a2", "shown": "alice@work.example"},
        {"provider": "sms", "user_id": "a3", "shown": "+44 7400 123456"},
    ]
    countries = phone_numbers.countries(locale.current_language())
    sample = {"ticket_id": "sample", "code_length": 6, "query": query}
    pages = {
        "account": overview(
            signed_in_as="alice@example.com",
            identities=identities,
            query=query,
            back_url=back,
            notice=_("Added to your account."),
        ),
        "account-single": overview(
            signed_in_as="alice@example.com", identities=identities[:1], query=query, back_url=None
        ),
        "account-add-email": add(channel="email", query=query),
        "account-add-phone": add(channel="sms", query=query, country="GB", countries=countries),
        "account-code": code(
            purpose="account.add", channel="email", recipient="alice@work.example", **sample
        ),
        "account-code-wrong": code(
            purpose="account.add",
            channel="sms",
            recipient="+44 7400 123456",
            error=wrong_code(2),
            **sample,
        ),
        "account-code-delete": code(
            purpose="account.delete", channel="email", recipient="alice@example.com", **sample
        ),
        "account-merge": merge(
            ticket_id="sample",
            recipient="alice@work.example",
            others=["alice@work.example", "+44 7400 123456"],
            query=query,
        ),
        "account-delete": delete(recipient="alice@example.com", query=query),
        "account-deleted": message(kind="deleted", query=query, back_url=back),
        "account-signed-out": message(kind="signed_out", query=query, back_url=back),
    }
    return {name: (screen.template, screen.context) for name, screen in pages.items()}
