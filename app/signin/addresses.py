"""Recipient addresses: validate and normalize what people type."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l

MAX_EMAIL_LENGTH = 254


class InvalidAddress(ValueError):
    """The typed address cannot receive a message; `str()` is the message to show.

    The message is a lazy translation: it is read in the page's language.
    """


def normalize_email(value: str | None) -> str:
    """A syntactically valid email address, lower-cased; raises InvalidAddress."""
    value = (value or "").strip()
    if not value:
        raise InvalidAddress(_l("Enter your email address."))
    if len(value) > MAX_EMAIL_LENGTH or any(ch in value for ch in "\r\n\0"):
        raise InvalidAddress(_l("That doesn't look like an email address."))
    try:
        result = validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        raise InvalidAddress(_l("That doesn't look like an email address.")) from None
    return result.normalized.lower()
