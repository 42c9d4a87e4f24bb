"""Security headers on every response, and the per-request CSP nonce."""

from __future__ import annotations

import secrets

from flask import Flask, g, request

from .. import oidc

# Endpoints a browser app calls across origins; never /authorize (a page).
CORS_PATHS = (
    "/oauth/token",
    "/oauth/revoke",
    "/userinfo",
    "/passwordless/start",
    "/co/authenticate",
    "/user/geoloc/country",
    "/passwordless/challenge",
    "/usernamepassword/challenge",
)
# auth0.js sends cookies with these (XMLHttpRequest withCredentials): the co_verifier.
CREDENTIALED_PATHS = ("/co/authenticate",)
# Of those, the ones whose requests name no client: any app's registered origin may call.
ANY_CLIENT_PATHS = (
    "/user/geoloc/country",
    "/passwordless/challenge",
    "/usernamepassword/challenge",
)


# A page may be framed only when its view sets g.frame_ancestors to one origin (the
# web_message response page, framed by the app that asked for it).
NOT_FRAMED = "'none'"


def csp_nonce() -> str:
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def content_security_policy(frame_src: str | None = None) -> str:
    """The pages' CSP; `frame_src` lets one page frame one other origin (the app's
    cross-origin verification page)."""
    nonce = csp_nonce()
    frames = f"frame-src {frame_src}; " if frame_src else ""
    return (
        "default-src 'self'; "
        f"script-src 'nonce-{nonce}' 'strict-dynamic'; "
        f"style-src 'self' 'nonce-{nonce}'; "
        "img-src 'self' data:; "
        f"{frames}"
        "object-src 'none'; base-uri 'none'; form-action 'self' https: http:; "
        f"frame-ancestors {g.get('frame_ancestors') or NOT_FRAMED}"
    )


# Sent on every response that does not set them itself.
ALWAYS = (("Referrer-Policy", "no-referrer"), ("X-Content-Type-Options", "nosniff"))
_CORS = frozenset(CORS_PATHS)


def init_app(app: Flask) -> None:
    config = app.config

    @app.context_processor
    def nonce_context():
        return {"csp_nonce": csp_nonce()}

    @app.after_request
    def security_headers(response):
        """One pass over the response's headers, then only the missing ones added (the
        same as setdefault on each, without a scan of the headers per name)."""
        headers = response.headers
        present = {name.lower() for name, _value in headers.items()}
        framed = g.get("frame_ancestors")
        if "content-security-policy" not in present:
            headers.add("Content-Security-Policy", content_security_policy())
        if not framed and "x-frame-options" not in present:
            headers.add("X-Frame-Options", "DENY")
        for name, value in ALWAYS:
            if name.lower() not in present:
                headers.add(name, value)
        if config["SECURE_TRANSPORT"] and config["HSTS_MAX_AGE"]:
            if "strict-transport-security" not in present:
                hsts = f"max-age={config['HSTS_MAX_AGE']}; includeSubDomains"
                headers.add("Strict-Transport-Security", hsts)
        if request.path in _CORS:
            _allow_registered_origin(response)
        if response.mimetype == "text/html" or g.get("no_store"):
            headers["Cache-Control"] = "no-store"
            headers["Pragma"] = "no-cache"
        return response


def _allow_registered_origin(response) -> None:
    """CORS for a browser app's token and userinfo calls: only an origin some client
    registered (web_origins), echoed back exactly, never `*`."""
    origin = request.headers.get("Origin")
    response.vary.add("Origin")
    if not origin:
        return
    any_client = request.method == "OPTIONS" or request.path in ANY_CLIENT_PATHS
    client_id = None if any_client else oidc.client_id_of_request(request)
    if not oidc.is_registered_origin(origin, client_id):
        return
    response.headers["Access-Control-Allow-Origin"] = origin
    # Auth0's browser SDKs add Auth0-Client (telemetry) and X-Request-Language.
    response.headers["Access-Control-Allow-Headers"] = (
        "Authorization, Content-Type, Auth0-Client, X-Request-Language"
    )
    response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
    response.headers["Access-Control-Expose-Headers"] = "WWW-Authenticate"
    response.headers["Access-Control-Max-Age"] = "600"
    if request.path in CREDENTIALED_PATHS:
        response.headers["Access-Control-Allow-Credentials"] = "true"
