"""Block and unblock a user on an operator's word, with the audit event that says who."""

from __future__ import annotations

from app.accounts import events, users
from app.models import User


def block(user: User, *, by: str) -> None:
    """Block a user: no message and no login from now on; every session and token of
    theirs ends. `by` names who asked (`m2m:<client_id>`, `cli`, an admin)."""
    events.record("admin.user_blocked", user_id=user.id, by=by)
    users.set_blocked(user, True)


def unblock(user: User, *, by: str) -> None:
    """Unblock a user (which also clears a lockout after failed codes)."""
    events.record("admin.user_unblocked", user_id=user.id, by=by)
    users.set_blocked(user, False)


def set_blocked(user: User, blocked: bool, *, by: str) -> None:
    """Block or unblock; nothing is recorded when the user already is so."""
    if user.blocked == blocked:
        return
    (block if blocked else unblock)(user, by=by)
