"""The SPA demo at /demo/spa/: a single-page app on auth0-spa-js (its browser build kept
in static/vendor/), signing in with this server as Auth0 SPAs do: loginWithRedirect,
silent sign-in in a hidden iframe (web_message), refresh tokens, /v2/logout."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, url_for

from app.accounts.demo import DEMO_SPA_CLIENT_ID
from app.config import base_url

bp = Blueprint("demo_spa", __name__, url_prefix="/demo/spa")


@bp.get("/")
def index():
    base = base_url(current_app.config)
    page = base + url_for("demo_spa.index")
    return render_template(
        "demo/spa.html",
        domain=base,
        client_id=DEMO_SPA_CLIENT_ID,
        page=page,
        # auth0-spa-js expects the issuer `<domain>/`, as Auth0's issuers are written.
        issuer_fits=current_app.config["ISSUER"] == base + "/",
    )
