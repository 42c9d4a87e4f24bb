"""What a login ticket sends: the code or link email, the SMS text, the no-account notice.

Message text lives in Liquid templates (app/messages.py); this module only picks the
template and its variables.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from flask import current_app

from app.accounts.connections import get_connection
from app.delivery import outbox
from app.look import colours
from app.messages.rendering import RenderedEmail, render_email, render_sms
from app.models import Client, Connection, User, utcnow


def code_message(
    connection: Connection,
    recipient: str,
    code: str,
    client: Client | None,
    language: str,
    link: str | None = None,
) -> RenderedEmail | str:
    """The message that carries a code (and, by email, maybe a magic link), per connection."""
    common = _code_variables(
        connection, code, client, language, connection.send if link else "code"
    )
    if connection.name == "sms":
        return _sms("sms_code", connection, recipient, language, common)
    return render_email(
        "email_link" if link else "email_code",
        connection,
        language=language,
        user={"email": recipient},
        link=link,
        **common,
    )


def account_code_message(
    connection: Connection,
    recipient: str,
    code: str,
    client: Client | None,
    language: str,
    action: str,
) -> RenderedEmail | str:
    """The code the account page sends (app/signin/account_codes.py), in its own message
    that says what the code does (`account_action`: "add" an address, "delete" the
    account, "confirm" it is still the person) and never reads as a sign-in:
    `email_account_code` by email, `sms_account_code` by SMS."""
    common = _code_variables(connection, code, client, language, "code")
    if connection.name == "sms":
        return _sms("sms_account_code", connection, recipient, language, common, action)
    return render_email(
        "email_account_code",
        connection,
        language=language,
        user={"email": recipient},
        account_action=action,
        **common,
    )


def _sms(
    template: str,
    connection: Connection,
    recipient: str,
    language: str,
    common: dict[str, Any],
    action: str | None = None,
) -> str:
    """An SMS text (its last line `@<issuer host> #<code>` for one-tap autofill)."""
    extra = {"account_action": action} if action else {}
    return render_sms(
        template,
        connection,
        language=language,
        phone_number=recipient,
        user={"phone_number": recipient},
        issuer_host=urlsplit(current_app.config["ISSUER"]).netloc,
        **common,
        **extra,
    )


def _code_variables(
    connection: Connection, code: str, client: Client | None, language: str, send: str
) -> dict[str, Any]:
    return {
        "code": code,
        "send": send,
        "application": application(client),
        "connection": {"name": connection.name},
        "request_language": language,
        "expires_in_minutes": max(1, connection.ttl_seconds // 60),
    }


def sender_for(connection: Connection) -> str | None:
    if connection.name == "sms":
        return connection.sender or current_app.config.get("SMS_FROM")
    return connection.sender


def queue_no_account_notice(
    connection, recipient: str, client: Client | None, language: str
) -> None:
    """Tell an unknown address that someone tried it and there is no account."""
    message = render_email(
        "email_no_account",
        connection,
        language=language,
        application=application(client),
        connection={"name": connection.name},
        user={"email": recipient},
        request_language=language,
    )
    outbox.enqueue("email", recipient, message, sender=connection.sender)


def queue_lock_notice(user: User, client: Client | None, locked_until: datetime) -> None:
    """Tell an account's owner that wrong codes paused sign-in, and until when (by email,
    to the account's address; an account with a phone number only is not told)."""
    identity = user.identity_for("email")
    if identity is None:
        return
    connection = get_connection("email")
    language = (client.default_language if client else None) or "en"
    minutes = max(1, round((locked_until - utcnow()).total_seconds() / 60))
    message = render_email(
        "email_account_locked",
        connection,
        language=language,
        application=application(client),
        user={"email": identity.value},
        request_language=language,
        locked_until=locked_until.strftime("%Y-%m-%d %H:%M UTC"),
        lock_minutes=minutes,
    )
    outbox.enqueue("email", identity.value, message, sender=connection.sender)


def application(client: Client | None) -> dict[str, Any]:
    """The app as message templates see it, with its brand colour made safe for email."""
    return colours.email_application(client)
