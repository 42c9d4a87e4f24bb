"""Flask's signed-cookie session, without its fixed cost on requests that carry no
session and leave it empty (most of them: JSON endpoints, static files, /healthz).

Flask's SecureCookieSessionInterface builds an itsdangerous serializer when it opens
every session, even with no cookie to read, and reads seven cookie settings when it
saves one, even an empty one it will not write. Here the serializer is built once per
key set, a request without the cookie gets an empty session without one, and an empty
session nobody changed is saved as Flask saves it (only "Vary: Cookie" if it was read)
without reading the settings. What is signed, read and written is Flask's own.
"""

from __future__ import annotations

from flask import Flask
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer


class LeanCookieSessions(SecureCookieSessionInterface):
    def __init__(self) -> None:
        self._serializer: tuple[tuple, URLSafeTimedSerializer | None] = ((), None)

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        """Flask's serializer, kept while the secret key and its fallbacks stay the same."""
        keys = (app.secret_key, *(app.config["SECRET_KEY_FALLBACKS"] or ()))
        cached_keys, serializer = self._serializer
        if keys != cached_keys:
            serializer = super().get_signing_serializer(app)
            self._serializer = (keys, serializer)
        return serializer

    def open_session(self, app: Flask, request) -> SecureCookieSession | None:
        """No cookie of that name in the Cookie header (not even within another's name
        or value), or an empty one: an empty session, as Flask gives; else Flask's."""
        if app.secret_key:
            name = self.get_cookie_name(app)
            if name not in request.environ.get("HTTP_COOKIE", "") or not request.cookies.get(name):
                return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session, response) -> None:
        if not session and not session.modified:
            if session.accessed:
                response.vary.add("Cookie")
            return
        super().save_session(app, session, response)


def init_app(app: Flask) -> None:
    app.session_interface = LeanCookieSessions()
