"""The web layer: thin blueprints over the domain, and what every page shares."""

from __future__ import annotations

from flask import Flask

from . import (
    demo,
    dev,
    endings,
    errors,
    links,
    locale,
    login,
    logos,
    passwordless_api,
    preview,
    security,
    theme_setup,
)
from . import oidc as oidc_views


def init_app(app: Flask) -> None:
    """Page language, theme, headers, error pages, and every blueprint the config enables."""
    locale.init_app(app)
    theme_setup.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    blueprints = (oidc_views.bp, login.bp, links.bp, endings.bp, passwordless_api.bp, logos.bp)
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
    if app.config["DEV_OUTBOX"]:
        app.register_blueprint(dev.bp)
    if app.config["DEMO"]:
        app.register_blueprint(demo.bp)
    if app.debug or app.config["PREVIEW_PASSWORD"]:
        app.register_blueprint(preview.bp)
