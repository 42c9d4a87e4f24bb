"""Error pages and JSON errors: a clear message, never a stack trace."""

from __future__ import annotations

import logging
import math

from flask import Flask, jsonify, make_response, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from app import at_rest, limits, oidc
from app.accounts import events
from app.signin import throttle

from ..extensions import db
from ..logs import redact

log = logging.getLogger(__name__)

MESSAGES = {
    400: (_l("Something is wrong with this request"), _l("The page got a request it cannot read.")),
    404: (_l("Page not found"), _l("There is nothing at this address.")),
    405: (_l("Not allowed"), _l("This page cannot be used that way.")),
    413: (_l("Too much data"), _l("The request was larger than this server accepts.")),
    429: (_l("Too many tries"), _l("Please wait a little and try again.")),
    500: (
        _l("Something went wrong"),
        _l("We could not finish this. Please try again in a moment."),
    ),
}


MANAGEMENT_API = "/api/v2/"


def wants_json() -> bool:
    if request.path == "/passwordless/verify_redirect":  # a page the browser navigates to
        return False
    if request.path.startswith(
        ("/oauth/", "/userinfo", "/passwordless/", "/.well-known/", MANAGEMENT_API)
    ):
        return True
    return request.accept_mimetypes.best == "application/json"


def error_page(status: int, title: str | None = None, message: str | None = None):
    default_title, default_message = MESSAGES.get(status, MESSAGES[400])
    title, message = str(title or default_title), str(message or default_message)
    if request.path.startswith(MANAGEMENT_API):
        return management_error(status, message, _json_code(status))
    if wants_json():
        return jsonify(error=_json_code(status), error_description=message), status
    page = render_template("error.html", title=title, message=message, status=status, client=None)
    return page, status


def management_error(status: int, message: str, error_code: str):
    """An error of the Management API, in Auth0's shape."""
    body = {
        "statusCode": status,
        "error": HTTP_STATUS_CODES.get(status, "Error"),
        "message": message,
        "errorCode": error_code,
    }
    return jsonify(body), status


def throttled_page(retry_after: int):
    """429 with Retry-After, and a message that says when to try again (nothing more)."""
    retry_after = max(1, int(retry_after))
    response = make_response(error_page(429, _("Too many tries"), _wait(retry_after)))
    response.headers["Retry-After"] = str(retry_after)
    return response


def _wait(seconds: int) -> str:
    """ "Please wait … and try again.", in the page's language."""
    if seconds < 60:
        if seconds > 30:
            return _("Please wait a minute and try again.")
        return ngettext(
            "Please wait %(num)d second and try again.",
            "Please wait %(num)d seconds and try again.",
            seconds,
        )
    minutes = math.ceil(seconds / 60)
    if minutes < 120:
        return ngettext(
            "Please wait %(num)d minute and try again.",
            "Please wait %(num)d minutes and try again.",
            minutes,
        )
    return ngettext(
        "Please wait %(num)d hour and try again.",
        "Please wait %(num)d hours and try again.",
        math.ceil(minutes / 60),
    )


def oauth_error(error):
    """An authorize-time protocol error: back to the app when its callback is verified,
    otherwise a page that explains (never a redirect to an unverified address)."""
    redirect = oidc.error_redirect(error)
    if redirect is not None:
        return redirect
    return error_page(400, _("This sign-in link is not valid"), _describe(error))


def _describe(error) -> str:
    description = error.description or error.error
    if error.error == "invalid_client":
        return _("The app that sent you here is not registered. Tell the app's developer.")
    if "redirect" in (description or "").lower():
        return _(
            "The app sent you here with a return address it has not registered "
            "(redirect_uri). Tell the app's developer."
        )
    return _("The app sent an invalid sign-in request: %(description)s", description=description)


def _json_code(status: int) -> str:
    return {
        404: "not_found",
        405: "method_not_allowed",
        413: "request_too_large",
        429: "too_many_requests",
        500: "server_error",
        503: "temporarily_unavailable",
    }.get(status, "invalid_request")


def database_unavailable(error: DBAPIError):
    """The database went away (restart, failover, a killed connection): 503 and the
    page's usual "try again"; the pool checks connections before the next use."""
    try:
        db.session.rollback()
    except DBAPIError:
        db.session.invalidate()
    log.error(
        "Database error on %s %s: %s",
        request.method,
        redact(request.path),
        type(error.orig).__name__ if error.orig is not None else type(error).__name__,
    )
    response = make_response(error_page(503, *MESSAGES[500]))
    response.headers["Retry-After"] = "1"
    return response


def keys_sealed_elsewhere(error: at_rest.SealError):
    """Signing keys sealed under a key the operator no longer configures: a 503 for the
    person, and a log line that says what to do (never the key)."""
    db.session.rollback()
    log.error(
        "Cannot open the signing keys on %s %s: they were sealed with a key that is not in "
        "FLASK_KEY_ENCRYPTION_KEYS. Put that key back in the list (after the new one), "
        "then run `flask keys reencrypt`.",
        request.method,
        redact(request.path),
    )
    return error_page(503, *MESSAGES[500])


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return error_page(
            400,
            _("This page has expired"),
            _("The form was too old or was changed. Go back, reload the page and try again."),
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
        return throttled_page(limits.seconds_to_reset(60))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        return error_page(error.code or 400)

    app.register_error_handler(OperationalError, database_unavailable)
    app.register_error_handler(InterfaceError, database_unavailable)
    app.register_error_handler(at_rest.SealError, keys_sealed_elsewhere)

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        db.session.rollback()
        log.exception("Unhandled error on %s %s", request.method, redact(request.path))
        return error_page(500)
