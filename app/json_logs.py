"""Log lines as JSON on stdout, one object a line, each with its request id.

Chosen by FLASK_LOG_FORMAT (`json`, the default outside debug, or `text`). Every
line goes through the same redaction as text logs (app/logs.py): no code, link,
token or cookie reaches the output.
"""

from __future__ import annotations

import json
import logging
import sys
import time

import click
from flask import Flask, g, has_request_context

from .logs import RedactingFilter, redact

LOG_FORMATS = ("json", "text")
# Extra attributes a record may carry (logger.info(..., extra={...})) that are kept.
FIELDS = ("method", "path", "status", "duration_ms", "remote_addr", "event")

# One encoder built once: json.dumps with options builds a new one for every line.
_encode = json.JSONEncoder(ensure_ascii=False, default=str).encode
_second: tuple[int, str] = (-1, "")  # the last second formatted, shared by threads


def timestamp(created: float) -> str:
    """UTC, ISO 8601 to the millisecond ("2026-11-30T08:50:43.123+00:00"); the date and
    time of day are formatted once a second."""
    global _second
    seconds = int(created)
    last, text = _second
    if seconds != last:
        text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
        _second = (seconds, text)
    return f"{text}.{int((created - seconds) * 1000):03d}+00:00"


class RequestIdFilter(logging.Filter):
    """Adds the current request's id (None outside a request) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = g.get("request_id") if has_request_context() else None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, request id, extras."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": timestamp(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        for name in FIELDS:
            if hasattr(record, name):
                line[name] = getattr(record, name)
        if record.exc_info:
            line["error"] = redact(self.formatException(record.exc_info))
        return _encode(line)


class StdoutHandler(logging.StreamHandler):
    """Writes to whatever sys.stdout is when a line is written (gunicorn, test capture);
    inside a command (`flask --app wsgi clients create --json`), to stderr, so the
    command's own output stays readable by scripts."""

    @property
    def stream(self):
        return sys.stderr if click.get_current_context(silent=True) else sys.stdout

    @stream.setter
    def stream(self, _value) -> None:
        pass


def write(logger: logging.Logger, message: str, fields: dict) -> None:
    """An INFO line from Latchkey's own code, with no LogRecord and no formatter: the
    same JSON object JsonFormatter writes, to the JSON handlers the logger's lines
    reach, when the logger logs at INFO. The caller redacts what it writes (the access
    line's path); `message` and `fields` hold nothing else from the request."""
    if not logger.isEnabledFor(logging.INFO):
        return
    line = None
    for handler in _json_handlers(logger):
        if line is None:
            line = _encode(
                {
                    "time": timestamp(time.time()),
                    "level": "info",
                    "logger": logger.name,
                    "message": message,
                    "request_id": g.get("request_id") if has_request_context() else None,
                    **fields,
                }
            )
        with handler.lock:
            handler.stream.write(line + handler.terminator)
            handler.flush()


def _json_handlers(logger: logging.Logger | None):
    while logger is not None:
        for handler in logger.handlers:
            if isinstance(handler, StdoutHandler) and handler.level <= logging.INFO:
                yield handler
        logger = logger.parent if logger.propagate else None


def uses_json(app: Flask) -> bool:
    """FLASK_LOG_FORMAT, else JSON outside debug."""
    return (app.config.get("LOG_FORMAT") or ("text" if app.debug else "json")) == "json"


def init_app(app: Flask) -> None:
    """In JSON mode, the app's loggers write JSON lines to stdout instead of Flask's
    stderr handler; in text mode nothing changes."""
    if not uses_json(app):
        return
    logger = app.logger  # "app": every app.* module logger propagates to it
    if not any(isinstance(h, StdoutHandler) for h in logger.handlers):
        handler = StdoutHandler()
        handler.setFormatter(JsonFormatter())
        handler.addFilter(RequestIdFilter())
        handler.addFilter(RedactingFilter())
        logger.addHandler(handler)
    from flask.logging import default_handler

    logger.removeHandler(default_handler)
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.INFO)
