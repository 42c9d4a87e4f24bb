"""Email providers: SMTP (through Flask-Mail) and dev (the outbox row is the message).

The SMTP provider keeps one connection open per thread (a dispatcher sending many
messages does not reconnect for each): a connection idle longer than
MAIL_KEEPALIVE seconds is closed and opened again, and a kept connection that the
server dropped is opened again once, at once, before the message counts as a failed try.
"""

from __future__ import annotations

import smtplib
import threading
import time

from flask import current_app
from flask_mail import BadHeaderError
from flask_mail import Connection as MailConnection
from flask_mail import Message as MailMessage

from ..models import OutboxMessage
from .providers import DeliveryError, Provider


class SmtpEmailProvider(Provider):
    """Sends through the SMTP server in MAIL_* (Flask-Mail), giving up after MAIL_TIMEOUT."""

    channel = "email"
    name = "smtp"

    def send(self, message: OutboxMessage) -> str | None:
        mail_message = MailMessage(
            subject=message.subject,
            recipients=[message.recipient],
            body=message.body_text,
            html=message.body_html or None,
            sender=message.sender or current_app.config["MAIL_DEFAULT_SENDER"],
        )
        try:
            _send_on_kept_connection(mail_message)
        except BadHeaderError as exc:
            raise DeliveryError("bad header", retryable=False) from exc
        except smtplib.SMTPRecipientsRefused as exc:
            codes = sorted({code for code, _ in exc.recipients.values()})
            permanent = bool(codes) and all(code >= 500 for code in codes)
            reason = f"recipient refused ({', '.join(map(str, codes))})"
            raise DeliveryError(reason, retryable=not permanent) from exc
        except smtplib.SMTPDataError as exc:
            raise DeliveryError(
                f"message refused ({exc.smtp_code})", retryable=exc.smtp_code < 500
            ) from exc
        except smtplib.SMTPResponseException as exc:
            raise DeliveryError(f"{type(exc).__name__} ({exc.smtp_code})") from exc
        except (smtplib.SMTPException, OSError) as exc:
            # Connection refused, timeouts, TLS failures, a server that hung up.
            raise DeliveryError(type(exc).__name__) from exc
        return mail_message.msgId


class DevEmailProvider(Provider):
    """Delivers by doing nothing: the outbox row is what /dev/outbox shows."""

    channel = "email"
    name = "dev"

    def send(self, message: OutboxMessage) -> str | None:
        return None


PROVIDERS: dict[str, type[Provider]] = {"smtp": SmtpEmailProvider, "dev": DevEmailProvider}


# A kept connection the server closed fails with one of these before any data is taken.
_DROPPED = (smtplib.SMTPServerDisconnected, ConnectionError, BrokenPipeError)


class _Held:
    """One thread's open SMTP connection, its settings and when it was last used.

    Closed on replacement, on failure, and when the thread ends (its thread-local
    value is dropped), so no socket outlives its use."""

    def __init__(self, connection: _TimeoutConnection, settings: tuple) -> None:
        self.connection, self.settings = connection, settings
        self.last_used = time.monotonic()

    def close(self, polite: bool = True) -> None:
        host, self.connection.host = self.connection.host, None
        if host is None:
            return
        try:
            if polite:
                host.quit()
        except (smtplib.SMTPException, OSError):
            pass
        finally:
            host.close()

    def __del__(self) -> None:
        self.close(polite=False)


_kept = threading.local()


def _send_on_kept_connection(mail_message: MailMessage) -> None:
    """Send on this thread's open connection, opening (or re-opening) it as needed."""
    held, reused = _connection()
    try:
        held.connection.send(mail_message)
    except _DROPPED:
        close_connection()
        if not reused:
            raise
        held, _ = _connection()
        try:
            held.connection.send(mail_message)
        except BaseException:
            close_connection()
            raise
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError, BadHeaderError):
        raise  # refused by the server, which keeps the session (smtplib sent RSET)
    except BaseException:
        close_connection()
        raise
    held.last_used = time.monotonic()


def _connection() -> tuple[_Held, bool]:
    """This thread's connection for the current settings, and whether it was kept."""
    mail = current_app.extensions["mail"]
    settings = (mail.server, mail.port, mail.use_tls, mail.use_ssl, mail.username, mail.suppress)
    held: _Held | None = getattr(_kept, "held", None)
    if held is not None and held.settings == settings:
        idle = time.monotonic() - held.last_used
        if idle < float(current_app.config["MAIL_KEEPALIVE"]):
            return held, True
    close_connection()
    connection = _TimeoutConnection(mail)
    connection.host = None if mail.suppress else connection.configure_host()
    connection.num_emails = 0
    _kept.held = _Held(connection, settings)
    return _kept.held, False


def close_connection() -> None:
    """Close this thread's kept SMTP connection, if any (QUIT, then the socket)."""
    held: _Held | None = getattr(_kept, "held", None)
    _kept.held = None
    if held is not None:
        held.close()


class _TimeoutConnection(MailConnection):
    """Flask-Mail's connection, with MAIL_TIMEOUT on the socket (Flask-Mail 0.10 has none)."""

    def configure_host(self) -> smtplib.SMTP:
        timeout = float(current_app.config["MAIL_TIMEOUT"])
        smtp_class = smtplib.SMTP_SSL if self.mail.use_ssl else smtplib.SMTP
        host = smtp_class(self.mail.server, self.mail.port, timeout=timeout)
        try:
            host.set_debuglevel(int(self.mail.debug))
            if self.mail.use_tls:
                host.starttls()
            if self.mail.username and self.mail.password:
                host.login(self.mail.username, self.mail.password)
        except BaseException:
            host.close()
            raise
        return host
