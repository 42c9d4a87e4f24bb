"""The web layer: thin blueprints over the domain, and what every page shares."""

from __future__ import annotations

from flask import Flask

from . import (
    account,
    account_confirm,  # noqa: F401 (its routes join account.bp)
    auth0_js,
    auth0_page,
    console,
    delivery,
    dev,
    endings,
    errors,
    health,
    links,
    locale,
    lock,
    login,
    login_tickets,
    logos,
    management_settings,
    passwordless_api,
    preview,
    request_ids,
    response_pages,
    security,
    session_cookie,
    theme_setup,
    universal_login,
)
from . import oidc as oidc_views


def init_app(app: Flask) -> None:
    """Request ids, page language, theme, headers, error pages, and every blueprint the
    config enables."""
    request_ids.init_app(app)
    session_cookie.init_app(app)
    locale.init_app(app)
    theme_setup.init_app(app)
    universal_login.init_app(app)
    security.init_app(app)
    auth0_page.init_app(app)
    errors.init_app(app)
    response_pages.init_app(app)
    for blueprint in (
        oidc_views.bp,
        health.bp,
        login.bp,
        links.bp,
        lock.bp,
        endings.bp,
        passwordless_api.bp,
        auth0_js.bp,
        login_tickets.bp,
        logos.bp,
        delivery.bp,
        console.bp,
        management_settings.bp,  # the Management API: management.py's routes and these
        account.bp,
    ):
        app.register_blueprint(blueprint)
    if app.config["DEV_OUTBOX"]:
        app.register_blueprint(dev.bp)
    if app.config["DEMO"]:
        # Here: the demo's OAuth client (Authlib's, on requests) is no production cost.
        from . import demo, demo_lock, demo_spa

        app.register_blueprint(demo.bp)
        app.register_blueprint(demo_spa.bp)
        app.register_blueprint(demo_lock.bp)
    if app.debug or app.config["PREVIEW_PASSWORD"]:
        app.register_blueprint(preview.bp)
