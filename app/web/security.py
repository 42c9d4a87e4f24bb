"""Security headers on every response, and the per-request CSP nonce."""

from __future__ import annotations

import secrets

from flask import Flask, g


def csp_nonce() -> str:
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def init_app(app: Flask) -> None:
    @app.context_processor
    def nonce_context():
        return {"csp_nonce": csp_nonce()}

    @app.after_request
    def security_headers(response):
        nonce = csp_nonce()
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; "
            f"script-src 'nonce-{nonce}' 'strict-dynamic'; "
            f"style-src 'self' 'nonce-{nonce}'; "
            "img-src 'self' https: data:; "
            "object-src 'none'; base-uri 'none'; form-action 'self' https: http:; "
            "frame-ancestors 'none'",
        )
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        if response.mimetype == "text/html" or g.get("no_store"):
            response.headers["Cache-Control"] = "no-store"
            response.headers["Pragma"] = "no-cache"
        return response
