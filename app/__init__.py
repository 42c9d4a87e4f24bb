"""Latchkey: a self-hosted passwordless identity provider."""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from app import (  # noqa: F401  (indexes: its tables)
    config,
    data_folders,
    database,
    indexes,
    limits,
    schema_migrations,
)

from .extensions import csrf, db, mail


class LatchkeyFlask(Flask):
    """Flask, keeping what `ensure_sync` answered for each view and hook: Flask asks
    `inspect.iscoroutinefunction` of every hook and of the view again on each request."""

    REMEMBERED = 4096  # views, hooks and handlers are a few hundred; never grows past

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._ensured: dict = {}

    def ensure_sync(self, func):
        try:
            return self._ensured[func]
        except (KeyError, TypeError):  # TypeError: an unhashable callable
            ensured = super().ensure_sync(func)
        try:
            if len(self._ensured) < self.REMEMBERED:
                self._ensured[func] = ensured
        except TypeError:
            pass
        return ensured


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: config, extensions, blueprints, errors, CLI."""
    app = LatchkeyFlask(
        __name__,
        instance_relative_config=True,
        static_folder=str(data_folders.folder("static")),
        template_folder=str(data_folders.folder("templates")),
    )
    config.load(app, test_config)
    if app.config["TRUSTED_PROXIES"]:
        # Believe X-Forwarded-For only from that many proxies; never otherwise.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["TRUSTED_PROXIES"])

    database.configure(app)
    db.init_app(app)
    database.init_app(app)
    schema_migrations.init_app(app)  # Flask-Migrate (Alembic) imported when used
    csrf.init_app(app)
    limits.init_app(app)
    mail.init_app(app)

    from app import cli, json_logs, logs, oidc, web
    from app.accounts import events, sessions
    from app.signin import hooks

    from .delivery import dispatcher

    sessions.connect_signals()
    events.init_app(app)
    hooks.init_app(app)
    logs.init_app(app)
    json_logs.init_app(app)
    oidc.init_app(app)
    web.init_app(app)
    limits.apply_to_views(app)
    cli.init_app(app)
    dispatcher.init_app(app)
    return app
