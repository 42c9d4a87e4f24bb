"""Email providers: SMTP (through Flask-Mail) and dev (the outbox row is the message)."""

from __future__ import annotations

import smtplib

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

    def send(self, message: OutboxMessage) -> None:
        mail_message = MailMessage(
            subject=message.subject,
            recipients=[message.recipient],
            body=message.body_text,
            html=message.body_html or None,
            sender=message.sender or current_app.config["MAIL_DEFAULT_SENDER"],
        )
        try:
            with _TimeoutConnection(current_app.extensions["mail"]) as connection:
                connection.send(mail_message)
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


class DevEmailProvider(Provider):
    """Delivers by doing nothing: the outbox row is what /dev/outbox shows."""

    channel = "email"
    name = "dev"

    def send(self, message: OutboxMessage) -> None:
        return None


PROVIDERS: dict[str, type[Provider]] = {"smtp": SmtpEmailProvider, "dev": DevEmailProvider}


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
