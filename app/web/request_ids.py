"""A request id on every request: the caller's sane X-Request-ID, or a new one.

It is kept in `g.request_id`, written on every JSON log line (app/json_logs.py)
and returned in the response's X-Request-ID header, so a person's report, the load
balancer's log and Latchkey's log can be matched. With JSON logs, each request
also gets one access line (method, redacted path, status, duration).
"""

from __future__ import annotations

import logging
import re
import secrets
import time

from flask import Flask, Response, g, request

from app import json_logs
from app.logs import redact

HEADER = "X-Request-ID"
# What a load balancer or proxy sends: a UUID, a hex or base64url token, dots, colons.
SANE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:+/=-]{7,127}$")

access_log = logging.getLogger("app.requests")


def request_id_from(value: str | None) -> str:
    """The incoming id when it is sane, else a fresh random one (128 bits, hex)."""
    if value and SANE.match(value):
        return value
    return secrets.token_hex(16)


def _begin() -> None:
    g.request_id = request_id_from(request.headers.get(HEADER))
    g.request_started = time.perf_counter()


def _end(response: Response) -> Response:
    request_id = g.get("request_id")
    if request_id:
        response.headers[HEADER] = request_id
    return response


def _end_and_log(response: Response) -> Response:
    """The id returned, and the JSON access line (app/json_logs.py writes it)."""
    request_id = g.get("request_id")
    if request_id:
        response.headers[HEADER] = request_id
    started = g.get("request_started")
    method, path, status = request.method, redact(request.path), response.status_code
    json_logs.write(
        access_log,
        f"{method} {path} {status}",
        {
            "method": method,
            "path": path,
            "status": status,
            "duration_ms": round((time.perf_counter() - started) * 1000, 1) if started else None,
            "remote_addr": request.remote_addr,
        },
    )
    return response


def init_app(app: Flask) -> None:
    """Give every request an id (first of the before-request hooks) and return it."""
    app.before_request_funcs.setdefault(None, []).insert(0, _begin)
    app.after_request(_end_and_log if json_logs.uses_json(app) else _end)
