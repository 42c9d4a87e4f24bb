"""Console: "why didn't my code arrive?" for an email address or a phone number."""

from __future__ import annotations

from flask import request
from flask_babel import gettext as _

from app.accounts import directory
from app.delivery import troubleshoot
from app.signin import phones
from app.signin.addresses import InvalidAddress, normalize_email

from .base import before_arg, bp, page


def _recipient(typed: str) -> tuple[str, str]:
    """(channel, normalized recipient); raises ValueError with a message to show."""
    if "@" in typed:
        return "email", normalize_email(typed)
    number = directory.search_query(typed)
    if not number.startswith("+"):
        raise ValueError(_("Type a phone number with its country code, like +44 7400 123456."))
    try:
        return "sms", phones.parse_phone(number, None, mobile_only=False).e164
    except phones.InvalidPhone as error:
        raise ValueError(str(error)) from None


@bp.get("/delivery")
def delivery():
    typed = request.args.get("q", "").strip()[: directory.MAX_QUERY]
    if not typed:
        return page("delivery.html", typed="", story=None, error=None, owner=None)
    try:
        channel, recipient = _recipient(typed)
    except (ValueError, InvalidAddress) as error:
        return page("delivery.html", 400, typed=typed, story=None, error=str(error), owner=None)
    story = troubleshoot.recipient_story(recipient, channel, before=before_arg())
    owner = directory.exact_match(recipient)
    return page("delivery.html", typed=typed, story=story, error=None, owner=owner)
