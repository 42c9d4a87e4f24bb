"""The console's blueprint and what every console page shares: who is signed in,
the guard that refuses everyone else, rendering and the audit trail.

A console session is the SSO session of an admin's fresh sign-in at /admin/login:
the signed session cookie names that SSO session and its user. It ends when that
SSO session ends (sign-out, idle or absolute timeout, the user blocked) and the
next request after the operator takes the admin off the list is refused.
"""

from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, request, session, url_for

from app.accounts import admins
from app.models import User

from .. import sso

bp = Blueprint("console", __name__, url_prefix="/admin")

SESSION_KEY = "console"
OPEN_ENDPOINTS = ("console.login", "console.callback")


def page(file_name: str, status: int = 200, /, **context):
    """A console page (templates/console/), never cached."""
    return render_template(f"console/{file_name}", admin=g.get("admin"), **context), status


def refused(status: int = 403):
    """The clear refusal: this account is not one the operator named."""
    return page("refused.html", status)


def signed_in_user() -> User | None:
    """The user of this browser's console session, if it is still live."""
    state = session.get(SESSION_KEY)
    if not isinstance(state, dict):
        return None
    row = sso.current()
    if row is None or row.id != state.get("sso") or row.user.sub != state.get("sub"):
        session.pop(SESSION_KEY, None)
        return None
    return row.user


@bp.before_request
def admins_only():
    """Everything under /admin but the sign-in itself needs a live console session
    of someone on the admins list."""
    g.no_store = True
    if request.method == "POST":
        request.form  # noqa: B018  (parsed first: an oversized body is a 413, like every form)
    if request.endpoint in OPEN_ENDPOINTS:
        return None
    user = signed_in_user()
    if user is None:
        return redirect(url_for("console.login"))
    if not admins.is_admin(user):
        return refused()
    g.admin = user
    return None


@bp.after_request
def not_for_search_engines(response):
    """Console pages stay out of search indexes (the app's headers do the rest: CSP
    with frame-ancestors 'none', no-store, no-referrer)."""
    response.headers.setdefault("X-Robots-Tag", "noindex, nofollow")
    return response


@bp.context_processor
def pagination():
    return {"page_url": page_url}


def page_url(before: int | None) -> str:
    """This page's address with another keyset cursor (None: the first page)."""
    args = {k: v for k, v in request.args.items() if k not in ("before", "done")}
    if before is not None:
        args["before"] = str(before)
    return url_for(request.endpoint or "console.users", **(request.view_args or {}), **args)


def before_arg() -> int | None:
    """The keyset cursor of a paginated list (`?before=<id>`), or None."""
    value = request.args.get("before", "")
    return int(value) if value.isascii() and value.isdigit() and len(value) < 19 else None
