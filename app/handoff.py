"""A sign-in handed over to another browser by a magic link ("Continue on this device").

The browser that opened the link is sent to the app's initiate-login URL; the app
then starts a fresh authorize request, which must find this browser signed in.
Until Latchkey has its own SSO session (issue 5), the minimum is kept here, in
Flask's signed session cookie: who, for which app, when and how, good once and
for a few minutes. `remember` and `take` are the only doors, so the SSO session
can replace them.
"""

from __future__ import annotations

import time
from collections.abc import MutableMapping
from typing import Any

from .extensions import db
from .models import User
from .passwordless import SignIn

SESSION_KEY = "latchkey_handoff"


def remember(session: MutableMapping[str, Any], sign_in: SignIn, client_id: str, ttl: int) -> None:
    """Keep a verified sign-in for `client_id`'s next authorize request in this browser."""
    session[SESSION_KEY] = {
        "sub": sign_in.user.sub,
        "client_id": client_id,
        "auth_time": sign_in.auth_time,
        "amr": list(sign_in.amr),
        "until": int(time.time()) + ttl,
    }


def take(session: MutableMapping[str, Any], client_id: str) -> SignIn | None:
    """The handed-over sign-in for this app, once; None when absent, stale or blocked."""
    kept = session.get(SESSION_KEY)
    if not isinstance(kept, dict) or kept.get("client_id") != client_id:
        return None
    session.pop(SESSION_KEY, None)
    if not isinstance(kept.get("until"), int) or kept["until"] < time.time():
        return None
    user = db.session.query(User).filter_by(sub=str(kept.get("sub"))).first()
    if user is None or user.blocked:
        return None
    return SignIn(
        user=user,
        ticket=None,
        auth_time=int(kept.get("auth_time") or 0),
        amr=[str(value) for value in kept.get("amr") or []],
    )
