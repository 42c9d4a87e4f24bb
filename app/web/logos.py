"""Apps' logos, served from Latchkey (never from the app's host): GET /logos/<sha256>."""

from __future__ import annotations

from flask import Blueprint, Response

from app.accounts import logos

from .errors import error_page

bp = Blueprint("logos", __name__)

# A logo's URL names its content, so it never changes: caches may keep it for good.
IMMUTABLE = "public, max-age=31536000, immutable"


@bp.app_template_global("logo_src")
def logo_src(client) -> str | None:
    """The page's `src` for a client's logo: kept by Latchkey, or None (no logo)."""
    return logos.public_path(client) if client is not None else None


@bp.get("/logos/<sha256>")
def show(sha256: str):
    logo = logos.find(sha256)
    if logo is None:
        return error_page(404)
    response = Response(logo.body, mimetype=logo.content_type)
    response.headers["Cache-Control"] = IMMUTABLE
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"  # mail clients load it
    return response
