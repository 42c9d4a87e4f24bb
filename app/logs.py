"""Log hygiene: secrets in URLs are redacted and CR/LF escaped before anything is written."""

from __future__ import annotations

import logging
import re

from flask.logging import default_handler

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
    "verification_code",
    "login_ticket",
    "co_verifier",
)
_SECRET_QUERY = re.compile(r"(?i)([?&](?:" + "|".join(SECRET_PARAMS) + r")=)[^&\s\"]*")
# A magic link carries its token in the path: /login/link/<token>[/here|/renew…]
_SECRET_PATH = re.compile(r"(/login/link/)[^/\s?\"]+")


def hide_secrets(text: str) -> str:
    """Hide secret query values and magic-link tokens."""
    text = _SECRET_QUERY.sub(r"\1[redacted]", text)
    return _SECRET_PATH.sub(r"\1[redacted]", text)


def redact(text: str) -> str:
    """Hide secrets and escape line breaks (no forged log lines)."""
    return hide_secrets(text).replace("\r", "\\r").replace("\n", "\\n")


def _is_server_banner(record: logging.LogRecord) -> bool:
    """Werkzeug's own start-up lines (" * Running on …", the development-server warning,
    "Press CTRL+C to quit", the reloader and debugger notes): its text, with no
    argument from a request, so its line breaks and colours are kept as written.
    Every request line werkzeug logs carries the request in its arguments."""
    return record.name == "werkzeug" and not record.args


class RedactingFilter(logging.Filter):
    """Rewrites each record's message once its arguments are merged in."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = hide_secrets(message) if _is_server_banner(record) else redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


class NoResultRows(logging.Filter):
    """SQLAlchemy at DEBUG logs every fetched row, and an outbox row holds its code.
    (Bound parameters are hidden by the engine option hide_parameters.)"""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Row ")


class NoIssuedTokens(logging.Filter):
    """Authlib logs each issued token (access and ID token) at DEBUG; keep the line,
    drop the token."""

    def filter(self, record: logging.LogRecord) -> bool:
        if str(record.msg).startswith(("Issue token", "Grant token")) and record.args:
            client = record.args[-1] if isinstance(record.args, tuple) else None
            record.msg, record.args = "Issue token [redacted] to %r", (client,)
        return True


def _add_once(logger: logging.Logger, kind: type[logging.Filter]) -> None:
    if not any(isinstance(f, kind) for f in logger.filters):
        logger.addFilter(kind())


def init_app(app) -> None:
    """Redact on the loggers a Latchkey process writes requests and errors to."""
    # A logger's filters see only its own records, not its children's: filter every
    # Latchkey logger, and Flask's handler that their records reach.
    ours = [name for name in list(logging.root.manager.loggerDict) if name.startswith("app.")]
    for logger in (logging.getLogger("werkzeug"), app.logger, logging.getLogger("app")):
        _add_once(logger, RedactingFilter)
    for name in ours:
        _add_once(logging.getLogger(name), RedactingFilter)
    if not any(isinstance(f, RedactingFilter) for f in default_handler.filters):
        default_handler.addFilter(RedactingFilter())
    _add_once(logging.getLogger("sqlalchemy.engine.Engine"), NoResultRows)
    for name in list(logging.root.manager.loggerDict):
        if name.startswith("authlib.oauth2"):
            _add_once(logging.getLogger(name), NoIssuedTokens)
