"""Users and their identities."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select

from app.accounts import signals
from app.accounts.connections import get_connection
from app.extensions import db
from app.models import Connection, Identity, User, random_id, rows, utcnow


def find_by_identity(connection: str, value: str) -> User | None:
    """The user owning a normalized email address or phone number, if any (one query)."""
    return db.session.execute(
        select(User)
        .join(User.identities)
        .where(Identity.connection == connection, Identity.value == value)
    ).scalar_one_or_none()


@dataclass(frozen=True)
class SignInLookup:
    """Who a verified address or number signs in: its user and identity (None for an
    address nobody has yet), and whether the connection lets a new user sign up."""

    user: User | None
    identity: Identity | None
    signup_allowed: bool


# One query for a sign-in: the connection's row, joined to the identity and its user.
_FOR_SIGN_IN = (
    select(Connection.signup_allowed, User, Identity)
    .select_from(Connection)
    .outerjoin(
        Identity,
        (Identity.connection == Connection.name) & (Identity.value == bindparam("value")),
    )
    .outerjoin(User, User.id == Identity.user_id)
    .where(Connection.name == bindparam("connection"))
)


def find_for_sign_in(connection: str, value: str) -> SignInLookup:
    """The user owning a normalized address or number, with the connection's sign-up
    setting, in one query (the connection's row is created with its defaults if it is
    missing)."""
    params = {"connection": connection, "value": value}
    row = db.session.execute(_FOR_SIGN_IN, params).first()
    if row is None:
        get_connection(connection)
        row = db.session.execute(_FOR_SIGN_IN, params).one()
    signup_allowed, user, identity = row
    return SignInLookup(user, identity, bool(signup_allowed))


# Core statements with their values passed at execution: built and compiled once.


def create(signed_in_at: datetime | None = None) -> User:
    """A new user's row, with no identity yet (add_first_identity); `signed_in_at`: the
    sign-in that creates it. One INSERT, no unit of work; the user returned belongs to
    the session as if it had been read."""
    values = {
        "sub": random_id(),
        "blocked": False,
        "failed_logins": 0,
        "locked_until": None,
        "lock_count": 0,
        "lock_notified_at": None,
        "created_at": utcnow(),
        "last_login_at": signed_in_at,
    }
    return rows.insert_loaded(User, values)


def add_first_identity(user: User, connection: str, value: str) -> Identity:
    """The first identity of a user `create` just made, verified by the sign-in that
    creates it; the identity's own id (Auth0's identities[].user_id) is the user's sub."""
    values = {
        "user_id": user.id,
        "connection": connection,
        "value": value,
        "verified": True,
        "subject": user.sub,
        "created_at": utcnow(),
    }
    identity = rows.insert_loaded(Identity, values)
    rows.set_read(identity, {"user": user})
    rows.set_read(user, {"identities": [identity]})
    return identity


def create_with_identity(connection: str, value: str, signed_in_at: datetime | None = None) -> User:
    """A new user and its first identity (see create and add_first_identity)."""
    user = create(signed_in_at)
    add_first_identity(user, connection, value)
    return user


def mark_signed_in(user: User, identity: Identity | None, at: datetime, **reset: Any) -> None:
    """Record a successful sign-in through `identity`: the time (`at`), and the columns
    in `reset` (the lockout's, app/signin/lockout.py), in one UPDATE; the identity is
    verified (an UPDATE only if it was not)."""
    rows.update_loaded(user, {"last_login_at": at, **reset})
    if identity is not None and not identity.verified:
        rows.update_loaded(identity, {"verified": True})


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
