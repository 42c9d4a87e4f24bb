"""Recipient addresses: validate and normalize what people type."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l

# RFC 5321 §4.5.3.1: a path holds at most 256 octets with its angle brackets, so an
# address at most 254; a local part at most 64, a domain at most 255.
MAX_EMAIL_LENGTH = 254
MAX_LOCAL_PART_LENGTH = 64
MAX_DOMAIN_LENGTH = 255


class InvalidAddress(ValueError):
    """The typed address cannot receive a message; `str()` is the message to show.

    The message is a lazy translation: it is read in the page's language.
    """


def normalize_email(value: str | None) -> str:
    """A syntactically valid email address, lower-cased; raises InvalidAddress."""
    value = (value or "").strip()
    if not value:
        raise InvalidAddress(_l("Enter your email address."))
    if any(ch in value for ch in "\r\n\0"):
        raise InvalidAddress(_l("That doesn't look like an email address."))
    check_length(value)
    try:
        result = validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        raise InvalidAddress(_l("That doesn't look like an email address.")) from None
    check_length(result.normalized)
    return result.normalized.lower()


def check_length(address: str) -> None:
    """Refuse an address longer than RFC 5321 allows, saying which part is too long.

    Lengths count octets (UTF-8), as mail servers do.
    """
    local, _, domain = address.rpartition("@")
    if len(local.encode()) > MAX_LOCAL_PART_LENGTH:
        raise InvalidAddress(
            _l(
                "The part before the @ can be at most %(num)d characters long.",
                num=MAX_LOCAL_PART_LENGTH,
            )
        )
    if len(domain.encode()) > MAX_DOMAIN_LENGTH or len(address.encode()) > MAX_EMAIL_LENGTH:
        raise InvalidAddress(
            _l("An email address can be at most %(num)d characters long.", num=MAX_EMAIL_LENGTH)
        )
