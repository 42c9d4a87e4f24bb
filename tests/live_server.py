"""A real HTTP server on loopback for tests that speak to Latchkey over the wire.

Use the `live_server` fixture (registered in conftest.py): it returns a
function that starts the app with werkzeug's server on 127.0.0.1 and a free port,
in a daemon thread, with ISSUER set to that server's own http:// base URL (plus
`issuer_path`, such as "/" for an issuer written with a trailing slash, as Auth0's
are). Every server started this way is stopped at teardown.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import databases
from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from app import create_app
from app.delivery import dispatcher
from app.extensions import db


def release(app: Flask) -> None:
    """What a test app holds after its test: its dispatcher threads (and their
    PostgreSQL listener) stop, its database connections close."""
    threads = app.extensions.get(dispatcher.EXTENSION_KEY)
    if threads is not None:
        threads.stop(timeout=5)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@dataclass
class LiveServer:
    """A running app: its base URL, its issuer (the base URL unless started with an
    issuer_path) and the Flask app, for its database."""

    url: str
    app: Flask
    server: BaseWSGIServer
    thread: threading.Thread
    issuer: str

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
        release(self.app)


class _LateApp:
    """The WSGI callable handed to the server before the app exists (the port, and so
    the issuer, is known only once the socket is bound)."""

    def __init__(self) -> None:
        self.app: Flask | None = None

    def __call__(self, environ, start_response):
        assert self.app is not None, "request before the app was built"
        return self.app(environ, start_response)


def start_live_server(
    tmp_path, tls: tuple | None = None, issuer_path: str = "", **config: object
) -> LiveServer:
    """Build the app on a fresh database (see databases.py) and serve it on 127.0.0.1;
    over HTTPS when `tls` names a (certificate, key) pair of files."""
    late = _LateApp()
    server = make_server("127.0.0.1", 0, late, threaded=True, ssl_context=tls)
    url = f"{'https' if tls else 'http'}://127.0.0.1:{server.server_port}"
    settings: dict[str, object] = {
        "TESTING": True,
        "SECRET_KEY": "live-server-secret-key-not-for-production",
        "ISSUER": url + issuer_path,
        "SQLALCHEMY_DATABASE_URI": databases.uri_for(tmp_path, "live.sqlite", own=True),
        "EMAIL_PROVIDER": "dev",
        "DEV_OUTBOX": True,
        "DISPATCHER_THREAD": False,
        "RATELIMIT_ENABLED": False,
        # Plain http on loopback: a Secure cookie would never come back from a
        # non-browser HTTP client, so the binding cookie is sent without the flag
        # here (test_headers checks the flag under the normal test config).
        "BINDING_COOKIE_SECURE": False,
    }
    settings.update(config)
    app = create_app(settings)
    with app.app_context():
        db.create_all()
    late.app = app
    thread = threading.Thread(target=server.serve_forever, name=f"live-{url}", daemon=True)
    thread.start()
    return LiveServer(url=url, app=app, server=server, thread=thread, issuer=url + issuer_path)
