"""Latchkey: a self-hosted passwordless identity provider."""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from app import config, limits

from .extensions import csrf, db, mail, migrate


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: config, extensions, blueprints, errors, CLI."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        static_folder="../static",
        template_folder="../templates",
    )
    config.load(app, test_config)
    if app.config["TRUSTED_PROXIES"]:
        # Believe X-Forwarded-For only from that many proxies; never otherwise.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["TRUSTED_PROXIES"])

    db.init_app(app)
    migrate.init_app(app, db, directory=str(_root() / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limits.init_app(app)
    mail.init_app(app)

    from app import cli, logs, oidc
    from app.accounts import sessions

    from .delivery import dispatcher
    from .web import demo, dev, errors, links, locale, login, preview, security, theme_setup
    from .web import oidc as oidc_views
    from .web import passwordless_api as passwordless_views

    sessions.connect_signals()
    locale.init_app(app)
    logs.init_app(app)
    oidc.init_app(app)
    theme_setup.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    app.register_blueprint(oidc_views.bp)
    app.register_blueprint(login.bp)
    app.register_blueprint(links.bp)
    app.register_blueprint(passwordless_views.bp)
    if app.config["DEV_OUTBOX"]:
        app.register_blueprint(dev.bp)
    if app.config["DEMO"]:
        app.register_blueprint(demo.bp)
    if app.debug or app.config["PREVIEW_PASSWORD"]:
        app.register_blueprint(preview.bp)
    limits.apply_to_views(app)
    cli.init_app(app)
    dispatcher.init_app(app)
    return app


def _root():
    from pathlib import Path

    return Path(__file__).resolve().parent.parent
