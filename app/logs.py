"""Log hygiene: secrets in URLs are redacted and CR/LF escaped before anything is written."""

from __future__ import annotations

import logging
import re

SECRET_PARAMS = (
    "code",
    "code_verifier",
    "access_token",
    "refresh_token",
    "id_token",
    "id_token_hint",
    "token",
    "client_secret",
    "otp",
)
_SECRET_QUERY = re.compile(r"(?i)([?&](?:" + "|".join(SECRET_PARAMS) + r")=)[^&\s\"]*")


def redact(text: str) -> str:
    """Hide secret query values and escape line breaks (no forged log lines)."""
    text = _SECRET_QUERY.sub(r"\1[redacted]", text)
    return text.replace("\r", "\\r").replace("\n", "\\n")


class RedactingFilter(logging.Filter):
    """Rewrites each record's message once its arguments are merged in."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def init_app(app) -> None:
    """Redact on the loggers a Latchkey process writes requests and errors to."""
    for logger in (logging.getLogger("werkzeug"), app.logger, logging.getLogger("app")):
        if not any(isinstance(f, RedactingFilter) for f in logger.filters):
            logger.addFilter(RedactingFilter())
