"""Users and their identities."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from app.accounts import signals
from app.extensions import db
from app.models import Identity, User, random_id, utcnow


def find_by_identity(connection: str, value: str) -> User | None:
    """The user owning a normalized email address or phone number, if any (one query)."""
    return db.session.execute(
        select(User)
        .join(User.identities)
        .where(Identity.connection == connection, Identity.value == value)
    ).scalar_one_or_none()


def create_with_identity(connection: str, value: str, signed_in_at: datetime | None = None) -> User:
    """A new user whose first identity is verified by the sign-in that creates it; the
    identity's own id (Auth0's identities[].user_id) is the user's sub. `signed_in_at`:
    that sign-in's time, written with the new row (not by an UPDATE after it)."""
    sub = random_id()
    user = User(sub=sub, last_login_at=signed_in_at, locked_until=None)
    user.identities.append(Identity(connection=connection, value=value, verified=True, subject=sub))
    db.session.add(user)
    db.session.flush()
    return user


def mark_signed_in(user: User, connection: str, value: str, at: datetime | None = None) -> None:
    """Record a successful sign-in: the identity is verified, the time (`at`) noted."""
    identity = next(
        (i for i in user.identities if i.connection == connection and i.value == value), None
    )
    if identity is not None:
        identity.verified = True
    user.last_login_at = at or utcnow()


def find_by_sub_or_identity(key: str) -> User | None:
    """Look a user up by `sub`, email address or phone number (for the CLI)."""
    user = db.session.execute(select(User).filter_by(sub=key)).scalar_one_or_none()
    if user:
        return user
    identity = (
        db.session.execute(select(Identity).filter(Identity.value == key.strip().lower()))
        .scalars()
        .first()
        or db.session.execute(select(Identity).filter(Identity.value == key.strip()))
        .scalars()
        .first()
    )
    return identity.user if identity else None


def set_blocked(user: User, blocked: bool) -> None:
    """Block or unblock; a blocked user gets no message and no login, and every
    session of theirs ends (through the `user_blocked` signal). Unblocking also
    clears a lockout after failed codes."""
    user.blocked = blocked
    if blocked:
        signals.user_blocked.send(user, user=user)
    else:
        user.failed_logins = 0
        user.lock_count = 0
        user.locked_until = None
    db.session.commit()
