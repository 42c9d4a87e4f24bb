"""Sample screens for the theme preview and the screenshot and accessibility tests.

Each screen is a page template with the context its view would give it (see
app/web/login.py), filled with sample data, so every state of every page can be
shown at once without a real sign-in.
"""

from __future__ import annotations

from types import SimpleNamespace

from flask_babel import gettext as _
from flask_babel import ngettext

from app import data_folders
from app.delivery import state as delivery_state
from app.signin import phones
from app.web import locale

from . import account_screens, post_login
from . import screens as screen
from .forms import ActionForm, NumberForm

ROOT = data_folders.ROOT
BACK_URL = "/authorize?client_id=sample"
SAMPLE_CLIENTS = {
    "default": SimpleNamespace(
        name="Acme Notes",
        client_id="sample",
        logo_url=None,
        primary_color=None,
        background_color=None,
        default_language=None,
        theme=None,
    ),
    "branded": SimpleNamespace(
        name="Lock Classic",
        client_id="sample",
        logo_url=None,
        primary_color="#ea5323",
        background_color="#2b2d42",
        default_language=None,
        theme=None,
    ),
}


def _delivery(channel: str, state: str, reason: str | None = None) -> dict[str, object]:
    """The delivery line's context (app/web/delivery.py) for a sample screen."""
    line = str(delivery_state.LINES[(channel, state)])
    other = "email" if channel == "sms" else "sms"
    return {
        "delivery": delivery_state.Delivery(state=state, line=line, reason=reason),
        "delivery_url": "/login/delivery/sample",
        "other_connection_url": BACK_URL + f"&connection={other}" if state == "failed" else None,
        "other_connection_label": _("Sign in with email instead")
        if channel == "sms"
        else _("Sign in with a phone number instead"),
    }


def screens() -> dict[str, tuple[str, dict]]:
    """Every screen: name → (page template, view context). Call inside a request."""
    wrong = ngettext(
        "That code isn't right. %(num)d try left.", "That code isn't right. %(num)d tries left.", 2
    )
    switch = {"email": BACK_URL + "&connection=email", "sms": BACK_URL + "&connection=sms"}
    countries = phones.countries(locale.current_language())

    def code(**changes):
        values = {"ticket_id": "sample", "channel": "email", "recipient": "alice@example.com"}
        values["delivery"] = _delivery(changes.get("channel", "email"), "sent")
        return screen.code(code_length=6, back_url=BACK_URL, **(values | changes))

    pages = {
        "email": screen.email(),
        "email-switch": screen.email(switch=switch),
        "phone": screen.phone(countries=countries, country="GB", switch=switch),
        "phone-error": screen.phone(
            countries=countries,
            country="GB",
            switch=switch,
            error=_("That doesn't look like a phone number."),
        ),
        "code-sms": code(channel="sms", recipient="+44 7400 123456"),
        "email-error": screen.email(error=_("That doesn't look like an email address.")),
        "code": code(),
        "code-wrong": code(error=wrong),
        "code-resent": code(notice=_("We sent the code again.")),
    }
    for reason in ("expired", "attempts", "used", "other_browser"):
        pages[f"dead-{reason}"] = screen.dead(
            reason=reason,
            ticket_id="sample",
            channel="email",
            recipient="alice@example.com",
            back_url=BACK_URL,
        )
    pages["switch"] = screen.switch_account(
        action="/login/start",
        fields={"email": "sam@example.com", "authz": "sample"},
        current="alice@example.com",
        shown="sam@example.com",
        channel="email",
        back_url=BACK_URL,
    )
    pages["email-signup-disabled"] = screen.email(
        error=_("Sign-up is disabled. Use the address of an existing account.")
    )
    pages |= delivery_screens() | error_screens() | link_screens() | hook_screens()
    return pages | account_screens.samples()


def hook_screens() -> dict[str, tuple[str, dict]]:
    """What the post-login hooks show: a denial, a hook that failed, the step-up code."""
    back = "https://notes.example/cb?error=access_denied&state=sample"
    denied = {"message": "Only addresses at example.com can sign in to Acme Notes."}
    failed = str(post_login.FAILED)
    return {
        "hook-denied": ("login/denied.html", denied | {"app_url": back}),
        "hook-failed": ("login/denied.html", {"message": failed, "failed": True, "app_url": back}),
        "code-step-up": screen.code(
            ticket_id="sample",
            channel="sms",
            recipient="+44 7400 123456",
            code_length=6,
            back_url=BACK_URL,
            delivery=_delivery("sms", "sent"),
            step_up=True,
        ),
    }


def delivery_screens() -> dict[str, tuple[str, dict]]:
    """The code page while the message is delayed, and after it failed for good."""
    sample = {"ticket_id": "sample", "code_length": 6, "back_url": BACK_URL}
    return {
        "code-delayed": screen.code(
            channel="email",
            recipient="alice@example.com",
            delivery=_delivery("email", "delayed"),
            **sample,
        ),
        "code-sms-failed": screen.code(
            channel="sms",
            recipient="+44 7400 123456",
            delivery=_delivery("sms", "failed", str(delivery_state.TRY_LATER)),
            **sample,
        ),
    }


def error_screens() -> dict[str, tuple[str, dict]]:
    """The error page, as a bad request and as a rate limit show it."""
    pages = {}
    pages["error"] = (
        "error.html",
        {
            "status": 400,
            "title": _("This sign-in link is not valid"),
            "message": _(
                "The app sent you here with a return address it has not registered "
                "(redirect_uri). Tell the app's developer."
            ),
        },
    )
    pages["throttled"] = (
        "error.html",
        {
            "status": 429,
            "title": _("Too many tries"),
            "message": ngettext(
                "Please wait %(num)d minute and try again.",
                "Please wait %(num)d minutes and try again.",
                15,
            ),
        },
    )
    return pages


def link_screens() -> dict[str, tuple[str, dict]]:
    """The magic-link screens (see app/web/links.py)."""
    token = "sample-token"
    device = {"browser": "Chrome", "system": "macOS", "time": "09:41", "minutes_ago": 2}
    wait = _delivery("email", "sending") | {
        "ticket_id": "sample",
        "recipient": "alice@example.com",
        "match_number": "42",
        "approved": False,
        "resend_form": ActionForm(formdata=None),
        "finish_form": ActionForm(formdata=None),
        "notice": None,
        "back_url": BACK_URL,
    }
    elsewhere = {
        "token": token,
        "device": device,
        "form": NumberForm(formdata=None),
        "code_length": 6,
        "can_continue_here": True,
    }
    dead = {"token": token, "can_renew": True, "renew_form": ActionForm(formdata=None)}
    pages = {
        "link-wait": ("login/wait.html", wait),
        "link-wait-approved": ("login/wait.html", wait | {"approved": True}),
        "link-open": ("login/link.html", {"token": token, "form": ActionForm(formdata=None)}),
        "link-elsewhere": ("login/link_elsewhere.html", elsewhere),
        "link-here": (
            "login/link_here.html",
            {"token": token, "recipient": "alice@example.com", "form": ActionForm(formdata=None)},
        ),
        "link-app": (  # a link an app asked for (POST /passwordless/start)
            "login/link_here.html",
            {
                "token": token,
                "recipient": "alice@example.com",
                "form": ActionForm(formdata=None),
                "action": f"/login/link/{token}/app",
            },
        ),
        "link-approved": ("login/link_approved.html", {"device": device}),
        "link-sent": ("login/link_sent.html", {"recipient": "alice@example.com"}),
    }
    pages |= _ended_screens()
    for reason in ("expired", "used", "wrong_number", "tampered"):
        pages[f"link-dead-{reason}"] = (
            "login/link_dead.html",
            dead | {"reason": reason, "can_renew": reason != "tampered"},
        )
    return pages


def _ended_screens() -> dict[str, tuple[str, dict]]:
    """How a link's waiting page ends (see app/web/endings.py)."""
    ended = {
        "channel": "email",
        "by_link": True,
        "recipient": "alice@example.com",
        "restart_form": ActionForm(formdata=None),
        "ticket_id": "sample",
        "continue_url": BACK_URL,
        "change_url": BACK_URL,
    }
    endings = ("signed_in_here", "signed_in_elsewhere", "wrong_number", "expired")
    return {
        f"link-ended-{ending}": ("login/ended.html", ended | {"ending": ending})
        for ending in endings
    }


def files_version(*folders: str) -> str:
    """A number that changes when any file under these folders (of the repo) changes."""
    latest = 0
    for folder in folders or ("themes", "templates", "translations"):
        for path in (ROOT / folder).rglob("*"):
            if path.is_file():
                latest = max(latest, path.stat().st_mtime_ns)
    return str(latest)
