"""The browser-binding cookie on the wire: read it from a request, set it on a response.

Its value and hash are app/signin/binding.py's; the name (`__Host-` under HTTPS) and
Secure flag come from the config (app/config.py).
"""

from __future__ import annotations

from flask import Response, current_app, request

MAX_AGE = 30 * 24 * 3600


def read() -> str | None:
    """This browser's binding cookie, if it sent one."""
    return request.cookies.get(current_app.config["BINDING_COOKIE_NAME"])


def set_on(response: Response, value: str) -> Response:
    """Keep `value` as this browser's binding (HttpOnly, SameSite=Lax, 30 days)."""
    response.set_cookie(
        current_app.config["BINDING_COOKIE_NAME"],
        value,
        max_age=MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=current_app.config["BINDING_COOKIE_SECURE"],
        path="/",
    )
    return response
