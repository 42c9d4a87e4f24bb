"""Finding users and what happened to them, for the operator console.

Every list is one bounded page (keyset: newest first, `before` an id), so nothing
loads everything: `Page.next_before` is the id to ask for the next page with.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy import exists, or_, select

from app.extensions import db
from app.models import BrowserSession, Client, Event, Identity, User

from . import events, sessions, users

PAGE_SIZE = 25
MAX_QUERY = 320
# A sign-in by code or link, and an app answered from the SSO session (each sign-in
# also starts a session: session.started would count it twice).
SIGN_IN_EVENTS = ("login.success", "login.session")

Row = TypeVar("Row")


@dataclass(frozen=True)
class Page(Generic[Row]):
    """One page of a list, newest first; `next_before` is None on the last page."""

    rows: Sequence[Row]
    next_before: int | None


def _page(rows: list, size: int, key) -> Page:
    more = len(rows) > size
    rows = rows[:size]
    return Page(rows=rows, next_before=key(rows[-1]) if more and rows else None)


def search_query(typed: str | None) -> str:
    """What was typed, as identities store it: trimmed, lower-cased; a phone number
    loses its spaces, dots, dashes and brackets (E.164 keeps only + and digits)."""
    value = (typed or "").strip()[:MAX_QUERY]
    if value[:1] in "+0123456789" and value and "@" not in value:
        return "".join(ch for ch in value if ch == "+" or ch.isdigit())
    return value.lower()


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_users(typed: str | None, before: int | None = None, size: int = PAGE_SIZE) -> Page:
    """Users with an email address or phone number equal to or starting with what was
    typed (or that `sub`), newest first; every user when nothing was typed."""
    query = select(User).order_by(User.id.desc()).limit(size + 1)
    value = search_query(typed)
    if value:
        prefix = _escape_like(value) + "%"
        matches = exists().where(
            Identity.user_id == User.id,
            or_(Identity.value == value, Identity.value.like(prefix, escape="\\")),
        )
        query = query.where(or_(matches, User.sub == (typed or "").strip()))
    if before is not None:
        query = query.where(User.id < before)
    return _page(list(db.session.scalars(query)), size, lambda user: user.id)


def exact_match(typed: str | None) -> User | None:
    """The one user owning exactly this address or number, if any."""
    value = search_query(typed)
    return db.session.scalars(
        select(User).join(Identity).where(Identity.value == value).limit(1)
    ).first()


def get_user(sub: str) -> User | None:
    if not sub or len(sub) > 64:
        return None
    return db.session.scalars(select(User).filter_by(sub=sub)).first()


def recent_sign_ins(user: User, limit: int = 10) -> list[Event]:
    """The user's newest sign-ins (by code or link, and through their SSO session)."""
    return events.find(user_id=user.id, types=list(SIGN_IN_EVENTS), limit=limit)


def recent_sessions(user: User, limit: int = 10) -> list[BrowserSession]:
    """The user's newest browser sessions, live or ended."""
    return list(
        db.session.scalars(
            select(BrowserSession)
            .where(BrowserSession.user_id == user.id)
            .order_by(BrowserSession.id.desc())
            .limit(limit)
        )
    )


def user_events(user: User, before: int | None = None, size: int = PAGE_SIZE) -> Page:
    """Everything recorded about a user, newest first."""
    query = select(Event).where(Event.user_id == user.id).order_by(Event.id.desc())
    if before is not None:
        query = query.where(Event.id < before)
    return _page(list(db.session.scalars(query.limit(size + 1))), size, lambda event: event.id)


class CannotBlockSelf(ValueError):
    """An admin tried to block their own account (and so lock themselves out)."""


def set_blocked_by(user: User, blocked: bool, admin: User) -> None:
    """An operator blocks or unblocks a user from the console: an audit event naming
    the operator, then the block (which ends the user's sessions). Nobody blocks
    themselves: that would end the console session doing it, with no way back in."""
    if blocked and user.id == admin.id:
        raise CannotBlockSelf()
    action = "blocked" if blocked else "unblocked"
    events.record(f"admin.user_{action}", user_id=user.id, by=admin.sub, via="console")
    users.set_blocked(user, blocked)


def sign_out_everywhere_by(user: User, admin: User) -> int:
    """An operator ends every browser session, refresh and access token of a user from
    the console (as `flask users sign-out`); returns the browser sessions ended."""
    events.record("admin.user_signed_out", user_id=user.id, by=admin.sub, via="console")
    ended = sessions.end_all_for(user, reason="admin")
    db.session.commit()
    return ended


def live_sessions(user: User) -> int:
    """How many browser sessions of the user have not ended."""
    return len(
        db.session.scalars(
            select(BrowserSession.id).where(
                BrowserSession.user_id == user.id, BrowserSession.ended_at.is_(None)
            )
        ).all()
    )


def clients_page(before: int | None = None, size: int = PAGE_SIZE) -> Page:
    """Registered apps, newest first."""
    query = select(Client).order_by(Client.id.desc()).limit(size + 1)
    if before is not None:
        query = query.where(Client.id < before)
    return _page(list(db.session.scalars(query)), size, lambda client: client.id)
