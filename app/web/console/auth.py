"""Signing in to the console through Latchkey itself (the console is a relying app).

/admin/login sends the browser to /authorize as the console's public client, with
PKCE (S256), state, nonce and prompt=login: a fresh code, every time. The callback
checks the state, redeems the code in process (app.oidc.redeem_code) and, when the
user is on the admins list and their SSO session is the one this sign-in made,
starts the console session; anyone else gets the refusal page (403).
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlencode

from flask import current_app, redirect, request, session, url_for
from flask_babel import gettext as _

from app import oidc
from app.accounts import admins, events, sessions
from app.extensions import db

from .. import sso
from ..errors import error_page
from .base import SESSION_KEY, bp, page, refused
from .forms import ActionForm

PENDING_KEY = "console_login"


@bp.get("/login")
def login():
    """Start the console's authorization request."""
    client = admins.console_client()
    state, nonce, verifier = (secrets.token_urlsafe(24) for _ in range(3))
    session[PENDING_KEY] = {"state": state, "verifier": verifier}
    query = {
        "response_type": "code",
        "client_id": client.client_id,
        "redirect_uri": client.redirect_uris[0],
        "scope": "openid email",
        "state": state,
        "nonce": nonce,
        "code_challenge": oidc.challenge_for(verifier),
        "code_challenge_method": "S256",
        "prompt": "login",
    }
    return redirect(url_for("oidc.authorize") + "?" + urlencode(query), 303)


def _expired():
    return error_page(
        400,
        _("That sign-in didn't finish"),
        _("The sign-in was too old, was cancelled, or was finished in another tab. Start again."),
    )


@bp.get("/callback")
def callback():
    """Back from the sign-in: the console session starts, or a clear refusal."""
    pending = session.pop(PENDING_KEY, None)
    state = request.args.get("state", "")[:100]
    if not isinstance(pending, dict) or not hmac.compare_digest(
        state.encode(), str(pending.get("state", "")).encode()
    ):
        return _expired()
    if "error" in request.args:
        return _expired()
    client = admins.console_client()
    user = oidc.redeem_code(
        request.args.get("code", ""),
        client.client_id,
        client.redirect_uris[0],
        str(pending.get("verifier", "")),
    )
    signed_in = sso.current()
    if user is None or signed_in is None or signed_in.user_id != user.id:
        return _expired()
    if not admins.is_admin(user):
        events.record("admin.console_refused", user_id=user.id, ip=request.remote_addr)
        db.session.commit()
        return refused()
    session[SESSION_KEY] = {"sub": user.sub, "sso": signed_in.id}
    events.record("admin.console_signed_in", user_id=user.id, ip=request.remote_addr)
    db.session.commit()
    return redirect(url_for("console.users"), 303)


@bp.post("/logout")
def logout():
    """Sign out of the console and of Latchkey in this browser (one SSO session)."""
    if not ActionForm().validate_on_submit():
        return error_page(400)
    session.pop(SESSION_KEY, None)
    sessions.end(sso.cookie_value(), reason="logout")
    response = current_app.make_response(page("signed_out.html"))
    return sso.clear_cookie(response)
