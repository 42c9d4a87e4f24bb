"""Error pages and JSON errors: a clear message, never a stack trace."""

from __future__ import annotations

import logging
import math
import time

from flask import Flask, jsonify, make_response, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .. import events, oidc, throttle
from ..extensions import db, limiter

log = logging.getLogger(__name__)

MESSAGES = {
    400: ("Something is wrong with this request", "The page got a request it cannot read."),
    404: ("Page not found", "There is nothing at this address."),
    405: ("Not allowed", "This page cannot be used that way."),
    413: ("Too much data", "The request was larger than this server accepts."),
    429: ("Too many tries", "Please wait a little and try again."),
    500: ("Something went wrong", "We could not finish this. Please try again in a moment."),
}


def wants_json() -> bool:
    if request.path.startswith(("/oauth/", "/userinfo", "/passwordless/", "/.well-known/")):
        return True
    return request.accept_mimetypes.best == "application/json"


def error_page(status: int, title: str | None = None, message: str | None = None):
    default_title, default_message = MESSAGES.get(status, MESSAGES[400])
    title, message = title or default_title, message or default_message
    if wants_json():
        return jsonify(error=_json_code(status), error_description=message), status
    page = render_template("error.html", title=title, message=message, status=status, client=None)
    return page, status


def throttled_page(retry_after: int):
    """429 with Retry-After, and a message that says when to try again (nothing more)."""
    retry_after = max(1, int(retry_after))
    response = make_response(
        error_page(429, "Too many tries", f"Please wait {_wait(retry_after)} and try again.")
    )
    response.headers["Retry-After"] = str(retry_after)
    return response


def _wait(seconds: int) -> str:
    if seconds < 60:
        return "a minute" if seconds > 30 else f"{seconds} seconds"
    minutes = math.ceil(seconds / 60)
    if minutes < 120:
        return f"{minutes} minutes"
    return f"{math.ceil(minutes / 60)} hours"


def oauth_error(error):
    """An authorize-time protocol error: back to the app when its callback is verified,
    otherwise a page that explains (never a redirect to an unverified address)."""
    redirect = oidc.error_redirect(error)
    if redirect is not None:
        return redirect
    return error_page(400, "This sign-in link is not valid", _describe(error))


def _describe(error) -> str:
    description = error.description or error.error
    if error.error == "invalid_client":
        return "The app that sent you here is not registered. Tell the app's developer."
    if "redirect" in (description or "").lower():
        return (
            "The app sent you here with a return address it has not registered "
            "(redirect_uri). Tell the app's developer."
        )
    return f"The app sent an invalid sign-in request: {description}"


def _json_code(status: int) -> str:
    return {
        404: "not_found",
        405: "method_not_allowed",
        413: "request_too_large",
        429: "too_many_requests",
        500: "server_error",
    }.get(status, "invalid_request")


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return error_page(
            400,
            "This page has expired",
            "The form was too old or was changed. Go back, reload the page and try again.",
        )

    @app.errorhandler(throttle.Throttled)
    def throttled(error: throttle.Throttled):
        """A domain limit (per address, per identifier and IP) from any view."""
        return throttled_page(error.retry_after)

    @app.errorhandler(429)
    def rate_limited(error):
        events.record(
            "throttle.ip",
            ip=request.remote_addr,
            user_agent=request.user_agent.string,
            path=request.path[:100],
        )
        db.session.commit()
        current = limiter.current_limit
        return throttled_page(current.reset_at - time.time() if current else 60)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        return error_page(error.code or 400)

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        db.session.rollback()
        log.exception("Unhandled error on %s %s", request.method, request.path)
        return error_page(500)
