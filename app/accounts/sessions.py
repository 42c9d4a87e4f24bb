"""Single sign-on: the server-side session a browser gets after signing in.

The cookie holds a random value; the database keeps only its hash. A session
ends on logout, when its user is blocked, after `SSO_IDLE_TIMEOUT` seconds
without use and `SSO_ABSOLUTE_TIMEOUT` seconds after sign-in. Signing in always
makes a new session (a new id), ending the one the browser had.
"""

from __future__ import annotations

import secrets
from datetime import UTC, timedelta

from flask import current_app
from sqlalchemy import update

from app.accounts import events, signals
from app.extensions import db
from app.models import BrowserSession, User, rows, sha256_hex, utcnow
from app.signin.outcomes import Requester, SignIn


def _row(cookie_value: str | None) -> BrowserSession | None:
    if not cookie_value or len(cookie_value) > 100:
        return None
    return db.session.query(BrowserSession).filter_by(cookie_hash=sha256_hex(cookie_value)).first()


def current(cookie_value: str | None) -> BrowserSession | None:
    """The live session behind a cookie, touched; None when absent, ended or timed out."""
    row = _row(cookie_value)
    if row is None or row.ended_at is not None:
        return None
    now = utcnow()
    config = current_app.config
    idle = now - row.last_seen_at > timedelta(seconds=config["SSO_IDLE_TIMEOUT"])
    too_old = now - row.auth_time > timedelta(seconds=config["SSO_ABSOLUTE_TIMEOUT"])
    if idle or too_old or row.user.blocked:
        row.ended_at = now
        events.record("session.expired", user_id=row.user_id, reason="idle" if idle else "absolute")
        db.session.commit()
        return None
    row.last_seen_at = now
    db.session.commit()
    return row


def begin(
    sign_in: SignIn,
    old_cookie: str | None,
    requester: Requester | None = None,
    only_client: str | None = None,
) -> str:
    """Start a session for a verified sign-in; returns the new cookie value. The caller
    commits (with the sign-in and the authorization code: one transaction).

    The browser's previous session, whoever it belonged to, ends here. With
    `only_client` (a client_id) the session answers that app's authorize requests
    only."""
    _end(old_cookie, reason="replaced")
    value = secrets.token_urlsafe(32)
    ticket = sign_in.ticket
    if ticket is None:
        raise ValueError("a session begins from a ticket's sign-in")
    requester = requester or Requester()
    now = utcnow()
    row = {
        "cookie_hash": sha256_hex(value),
        "user_id": sign_in.user.id,
        "connection": ticket.connection,
        "recipient": ticket.recipient,
        "auth_time": ticket.consumed_at or now,
        "amr": list(sign_in.amr),
        "created_at": now,
        "last_seen_at": now,
        "ended_at": None,
        "ip": requester.ip,
        "user_agent": (requester.user_agent or "")[:300] or None,
        "client_id": only_client,
    }
    rows.insert_row(BrowserSession, row)
    events.record(
        "session.started",
        user_id=sign_in.user.id,
        connection=ticket.connection,
        recipient=ticket.recipient,
        ip=row["ip"],
        user_agent=row["user_agent"],
        **({"only_client": only_client} if only_client else {}),
    )
    return value


def end(cookie_value: str | None, reason: str = "logout") -> BrowserSession | None:
    """End the session behind a cookie, if it is live."""
    row = _end(cookie_value, reason)
    db.session.commit()
    return row


def _end(cookie_value: str | None, reason: str) -> BrowserSession | None:
    row = _row(cookie_value)
    if row is None or row.ended_at is not None:
        return None
    row.ended_at = utcnow()
    events.record("session.ended", user_id=row.user_id, reason=reason)
    return row


def end_all_for(user: User, reason: str) -> int:
    """End every live session of a user (blocking, admin action); listeners of
    `signals.signed_out_everywhere` end what they keep too (refresh tokens)."""
    ended = db.session.execute(
        update(BrowserSession)
        .where(BrowserSession.user_id == user.id, BrowserSession.ended_at.is_(None))
        .values(ended_at=utcnow())
    ).rowcount
    if ended:
        events.record("session.ended", user_id=user.id, reason=reason, sessions=ended)
    signals.signed_out_everywhere.send(user, reason=reason)
    return ended


def _end_sessions_of_blocked(sender: object, user: User, **extra: object) -> None:
    """A blocked user's sessions end with the block (sent by users.set_blocked)."""
    end_all_for(user, reason="blocked")


def connect_signals() -> None:
    """Listen for the accounts' signals (create_app calls it; connecting twice is harmless)."""
    signals.user_blocked.connect(_end_sessions_of_blocked)


def sign_in_for(row: BrowserSession | None, params: dict[str, str]) -> SignIn | None:
    """The session as a sign-in that may answer an authorize request without the login
    page; None when there is no session, the session serves only another app,
    `prompt=login` asks for a fresh sign-in, `max_age` has passed since sign-in, or
    `login_hint` names someone else."""
    if row is None:
        return None
    if row.client_id is not None and row.client_id != params.get("client_id"):
        return None
    if "login" in (params.get("prompt") or "").split():
        return None
    auth_time = int(row.auth_time.replace(tzinfo=UTC).timestamp())
    max_age = params.get("max_age")
    if max_age is not None:
        # Plain ASCII digits only: str.isdigit() also takes "²" (which int() refuses)
        # and other scripts' digits; anything else cannot be honoured, so sign in afresh.
        if not (max_age.isascii() and max_age.isdigit()):
            return None
        if utcnow().replace(tzinfo=UTC).timestamp() - auth_time > int(max_age):
            return None
    hint = (params.get("login_hint") or "").strip().lower()
    if hint and not any(i.value.lower() == hint for i in row.user.identities):
        return None
    return SignIn(user=row.user, ticket=None, auth_time=auth_time, amr=list(row.amr or []))


def owns(row: BrowserSession, connection: str, recipient: str) -> bool:
    """Whether the session's user has this email address or phone number."""
    return any(i.connection == connection and i.value == recipient for i in row.user.identities)


def display_name(row: BrowserSession) -> str:
    """What the "Continue as …?" question shows for the signed-in user."""
    return row.recipient
