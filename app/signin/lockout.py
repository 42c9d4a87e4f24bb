"""The account-wide cap on wrong codes: a lock for a while, never for good.

`ACCOUNT_FAILURE_LIMIT` consecutive wrong codes on an account, across tickets,
addresses and IPs, lock it for `ACCOUNT_LOCK_DELAY` seconds; each further lock
doubles the delay, up to `ACCOUNT_LOCK_MAX_DELAY`. A sign-in resets it all. So
nobody can lock anyone out for good by typing wrong codes, and guessing stays
slow.

During a lock the owner can still sign in from a browser where they signed in
before (the binding cookie of an earlier ticket that signed this account in):
that browser still gets codes and links, and a correct one gets through. Other
browsers get no message and no sign-in. The owner is told of a lock by email,
at most once per `ACCOUNT_LOCK_NOTICE_INTERVAL` seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update

from app.accounts import users
from app.extensions import db
from app.messages import compose
from app.models import Client, LoginTicket, User, utcnow
from app.signin import binding


def is_locked(user: User) -> bool:
    """Whether the account sits out a lock now."""
    return user.locked_until is not None and user.locked_until > utcnow()


def lets_in(user: User, binding_hash: str | None, client: Client | None) -> bool:
    """Whether a ticket of this browser may sign the account in (or get a message)."""
    return not is_locked(user) or known_browser(user, binding_hash, client)


def known_browser(user: User, binding_hash: str | None, client: Client | None) -> bool:
    """Whether this browser (its binding hash) has signed this account in before. An
    app's API tickets share one binding, which is no browser: never known."""
    if not binding.is_browser(binding_hash, client):
        return False
    found = db.session.execute(
        select(LoginTicket.id)
        .where(
            LoginTicket.user_id == user.id,
            LoginTicket.binding_hash == binding_hash,
            LoginTicket.consumed_at.is_not(None),
        )
        .limit(1)
    ).first()
    return found is not None


@dataclass(frozen=True)
class Lock:
    """A lock a wrong code just started: whose account, and until when (UTC, minutes)."""

    user_id: int
    until: str


def note_wrong_code(ticket: LoginTicket) -> Lock | None:
    """Count a wrong code against the ticket's account; at the cap lock it and tell the
    owner. Only a ticket that carried a code is a guess at one: a locked account's
    tickets in strangers' browsers get no message, and their wrong codes do not
    lengthen the lock."""
    user = users.find_by_identity(ticket.connection, ticket.recipient)
    if user is None or not ticket.deliver:
        return None
    locked_until = note_failure(user)
    if locked_until is None:
        return None
    if claim_notice(user):
        compose.queue_lock_notice(user, ticket.client, locked_until)
    return Lock(user.id, locked_until.isoformat(timespec="minutes"))


def note_failure(user: User) -> datetime | None:
    """Count a consecutive wrong code; at the cap, lock the account. Returns the end of
    the lock this failure started, else None (parallel failures start one lock)."""
    config = current_app.config
    limit = config["ACCOUNT_FAILURE_LIMIT"]
    db.session.execute(
        update(User).where(User.id == user.id).values(failed_logins=User.failed_logins + 1)
    )
    db.session.refresh(user)
    if user.failed_logins < limit:
        return None
    delay = min(
        config["ACCOUNT_LOCK_DELAY"] * 2 ** min(user.lock_count, 32),
        config["ACCOUNT_LOCK_MAX_DELAY"],
    )
    until = utcnow() + timedelta(seconds=delay)
    locked = db.session.execute(
        update(User)
        .where(User.id == user.id, User.failed_logins >= limit)
        .values(failed_logins=0, lock_count=User.lock_count + 1, locked_until=until)
    ).rowcount
    db.session.refresh(user)
    return until if locked == 1 else None


def claim_notice(user: User) -> bool:
    """Whether to email the owner about the lock that just started: once per lock, at
    most once per ACCOUNT_LOCK_NOTICE_INTERVAL (marks the notice as sent)."""
    now = utcnow()
    since = now - timedelta(seconds=current_app.config["ACCOUNT_LOCK_NOTICE_INTERVAL"])
    claimed = db.session.execute(
        update(User)
        .where(
            User.id == user.id,
            (User.lock_notified_at.is_(None)) | (User.lock_notified_at <= since),
        )
        .values(lock_notified_at=now)
    ).rowcount
    return claimed == 1


# A sign-in forgets failures and locks: the columns users.mark_signed_in resets.
CLEARED = {"failed_logins": 0, "lock_count": 0, "locked_until": None}
