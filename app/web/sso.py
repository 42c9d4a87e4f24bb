"""The single sign-on cookie: read, set and cleared here.

The rules live in app.accounts.sessions.
"""

from __future__ import annotations

from authlib.oauth2 import OAuth2Error
from flask import Response, current_app, request

from app import oidc
from app.accounts import sessions
from app.extensions import db
from app.models import BrowserSession
from app.signin.outcomes import Requester, SignIn

from .errors import oauth_error


def cookie_value() -> str | None:
    return request.cookies.get(current_app.config["SSO_COOKIE_NAME"])


def current() -> BrowserSession | None:
    """This browser's live session, if any."""
    return sessions.current(cookie_value())


def set_cookie(response: Response, value: str) -> Response:
    """HttpOnly, SameSite=Lax, host-only, path /; Secure (and `__Host-`) under HTTPS.

    A session cookie for the browser; the server enforces the idle and absolute limits."""
    response.set_cookie(
        current_app.config["SSO_COOKIE_NAME"],
        value,
        httponly=True,
        samesite="Lax",
        secure=current_app.config["SECURE_TRANSPORT"],
        path="/",
    )
    return response


def clear_cookie(response: Response) -> Response:
    response.delete_cookie(
        current_app.config["SSO_COOKIE_NAME"],
        path="/",
        secure=current_app.config["SECURE_TRANSPORT"],
        httponly=True,
        samesite="Lax",
    )
    return response


def complete(sign_in: SignIn, requester: Requester, params: dict | None = None) -> Response:
    """A verified sign-in in this browser: a new SSO session (ending the old one), then
    back to the app with the authorization response (to the ticket's authorize request,
    or to `params`, an already validated one). One commit for it all: the sign-in (the
    ticket used, the user), the session, the authorization code and their events."""
    value = sessions.begin(sign_in, cookie_value(), requester)
    try:
        response = oidc.complete_authorization(sign_in, params)
    except OAuth2Error as error:
        response = oauth_error(error)
    db.session.commit()
    return set_cookie(current_app.make_response(response), value)
