"""Latchkey: a self-hosted passwordless identity provider."""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from app import config, data_folders, database, indexes, limits  # noqa: F401  (indexes: its tables)

from .extensions import csrf, db, mail, migrate


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: config, extensions, blueprints, errors, CLI."""
    app = Flask(
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
    migrations = str(data_folders.folder("migrations"))
    migrate.init_app(app, db, directory=migrations, render_as_batch=True)
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
