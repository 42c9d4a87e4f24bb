"""Console: find users, look at one, block and unblock them."""

from __future__ import annotations

from flask import abort, g, redirect, request, url_for
from flask_babel import gettext as _

from app.accounts import directory
from app.delivery import troubleshoot

from ..errors import error_page
from .base import before_arg, bp, page
from .forms import ActionForm


@bp.get("/")
def home():
    return redirect(url_for("console.users"))


@bp.get("/users")
def users():
    """Search by email address or phone number (exact or the start of one), or sub."""
    typed = request.args.get("q", "")[: directory.MAX_QUERY]
    found = directory.search_users(typed, before=before_arg())
    return page("users.html", typed=typed, found=found)


def _user_or_404(sub: str):
    user = directory.get_user(sub)
    if user is None:
        abort(404)
    return user


@bp.get("/users/<sub>")
def user(sub: str):
    """A user's identities, sessions, last sign-ins and messages."""
    person = _user_or_404(sub)
    messages = [
        troubleshoot.recipient_story(identity.value, identity.connection, size=5)
        for identity in person.identities
    ]
    return page(
        "user.html",
        person=person,
        sign_ins=directory.recent_sign_ins(person),
        sessions=directory.recent_sessions(person),
        live=directory.live_sessions(person),
        stories=messages,
        activity=directory.user_events(person, before=before_arg()),
        form=ActionForm(),
    )


def _set_blocked(sub: str, blocked: bool):
    if not ActionForm().validate_on_submit():
        return error_page(400)
    person = _user_or_404(sub)
    try:
        directory.set_blocked_by(person, blocked, g.admin)
    except directory.CannotBlockSelf:
        return error_page(
            400,
            _("You can't block yourself"),
            _("Ask another admin, or use `flask users block` on the server."),
        )
    notice = "blocked" if blocked else "unblocked"
    return redirect(url_for("console.user", sub=person.sub, done=notice), 303)


@bp.post("/users/<sub>/block")
def block(sub: str):
    """Block: no message and no login from now on; every session of theirs ends."""
    return _set_blocked(sub, True)


@bp.post("/users/<sub>/unblock")
def unblock(sub: str):
    return _set_blocked(sub, False)


@bp.post("/users/<sub>/sign-out")
def sign_out(sub: str):
    """End every session and token of the user; they sign in again everywhere."""
    if not ActionForm().validate_on_submit():
        return error_page(400)
    person = _user_or_404(sub)
    directory.sign_out_everywhere_by(person, g.admin)
    return redirect(url_for("console.user", sub=person.sub, done="signed_out"), 303)
