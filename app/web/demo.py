"""The demo relying app at /demo: a real OIDC client (Authlib) of this server."""

from __future__ import annotations

from urllib.parse import urlencode

from authlib.integrations.base_client import OAuthError
from authlib.integrations.flask_client import OAuth
from flask import Blueprint, current_app, redirect, render_template, request, session, url_for

from app.accounts.demo import (
    DEMO_AUTH0JS_CLIENT_ID,
    DEMO_CLIENT_ID,
    HOSTED_THEME_CLIENTS,
    demo_secret,
)
from app.config import base_url

bp = Blueprint("demo", __name__, url_prefix="/demo")


@bp.record_once
def register_client(state):
    """Each app gets its own OAuth registry (metadata is cached per registry)."""
    app = state.app
    oauth = OAuth(app)
    app.extensions["latchkey_demo_oauth"] = oauth
    with app.app_context():
        secret = demo_secret()
    ways = {"latchkey": DEMO_CLIENT_ID}
    ways |= {f"latchkey-{theme}": client_id for theme, client_id in HOSTED_THEME_CLIENTS.items()}
    for name, client_id in ways.items():
        oauth.register(
            name,
            client_id=client_id,
            client_secret=secret,
            server_metadata_url=f"{base_url(app.config)}/.well-known/openid-configuration",
            client_kwargs={"scope": "openid email phone", "code_challenge_method": "S256"},
        )


def _client(theme: str | None = None):
    """The demo app's OAuth client; with a theme of HOSTED_THEME_CLIENTS, that theme's app."""
    name = f"latchkey-{theme}" if theme in HOSTED_THEME_CLIENTS else "latchkey"
    return current_app.extensions["latchkey_demo_oauth"].create_client(name)


@bp.get("/")
def index():
    claims = session.get("demo_claims")
    return render_template(
        "demo/index.html",
        home=base_url(current_app.config) + url_for("demo.index"),
        user=claims,
        claims=claims or {},
        error=session.pop("demo_error", None),
    )


@bp.get("/login")
def login():
    """Sign in; also the demo's initiate-login URL (OIDC third-party-initiated login),
    where a magic link opened on another device sends the browser with iss and login_hint."""
    extra = {}
    hint = request.args.get("login_hint", "")[:320]
    if hint and request.args.get("iss") == current_app.config["ISSUER"]:
        extra["login_hint"] = hint
    theme = request.args.get("theme")
    theme = theme if theme in HOSTED_THEME_CLIENTS else None
    session["demo_theme"] = theme
    callback = base_url(current_app.config) + url_for("demo.callback")
    return _client(theme).authorize_redirect(callback, **extra)


@bp.get("/callback")
def callback():
    return finish_sign_in(_client(session.pop("demo_theme", None)))


def finish_sign_in(client):
    """A demo app's callback: trade the code (Authlib checks state, nonce and the ID
    token), keep the claims, and show them on the demo's page."""
    try:
        token = client.authorize_access_token()
    except OAuthError as error:
        session["demo_error"] = error.description or error.error
        return redirect(url_for("demo.index"))
    session["demo_claims"] = dict(token["userinfo"])
    session["demo_id_token"] = token["id_token"]
    return redirect(url_for("demo.index"))


@bp.get("/logout")
def logout():
    id_token = session.pop("demo_id_token", None)
    session.pop("demo_claims", None)
    if not id_token:
        return redirect(url_for("demo.index"))
    metadata = _client().load_server_metadata()
    query = urlencode(
        {
            "id_token_hint": id_token,
            "post_logout_redirect_uri": base_url(current_app.config) + url_for("demo.index"),
        }
    )
    return redirect(f"{metadata['end_session_endpoint']}?{query}")


@bp.get("/auth0js")
def auth0js():
    """An app's own sign-in form on auth0.js (embedded login, cross-origin
    authentication); also its callback, where its script trades the code (PKCE)."""
    issuer = base_url(current_app.config)
    return render_template(
        "demo/auth0js.html",
        domain=request.host_url.rstrip("/"),
        client_id=DEMO_AUTH0JS_CLIENT_ID,
        callback=issuer + url_for("demo.auth0js"),
    )
