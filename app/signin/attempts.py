"""A ticket's row changed in SQL under races: a try counted before a code is compared,
and the ticket used up once. Each UPDATE matches the row only as the rule needs it and
returns it as changed (RETURNING), so the ticket object learns its new count without
reading the row again."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, bindparam, func, update

from app.extensions import db
from app.models import LoginTicket, rows

_TICKETS = LoginTicket.__table__
_RETURNED = (_TICKETS.c.failed_attempts, _TICKETS.c.consumed_at, _TICKETS.c.user_id)

# Core statements, built and compiled once; the values come at execution.
_RESERVE_TRY = (
    update(_TICKETS)
    .where(
        _TICKETS.c.id == bindparam("ticket_id"),
        _TICKETS.c.consumed_at.is_(None),
        _TICKETS.c.failed_attempts < _TICKETS.c.max_attempts,
    )
    .values(failed_attempts=_TICKETS.c.failed_attempts + 1)
    .returning(*_RETURNED)
)
_USE_UP = (
    update(_TICKETS)
    .where(_TICKETS.c.id == bindparam("ticket_id"), _TICKETS.c.consumed_at.is_(None))
    .values(
        consumed_at=bindparam("now"),
        failed_attempts=_TICKETS.c.failed_attempts - bindparam("handed_back", type_=Integer),
        user_id=func.coalesce(bindparam("signed_in", type_=Integer), _TICKETS.c.user_id),
    )
    .returning(*_RETURNED)
)


def reserve_try(ticket: LoginTicket) -> bool:
    """Count one try if the ticket is unused and under its cap; False if it was not.
    The caller commits before it compares the code."""
    return _update(ticket, _RESERVE_TRY, {"ticket_id": ticket.id})


def use_up(
    ticket: LoginTicket, now: datetime, *, try_reserved: bool, user_id: int | None = None
) -> bool:
    """Mark the ticket consumed at `now` (signing in `user_id`, if given) unless another
    request did first (False); a reserved try is handed back (a right code is no failed
    attempt)."""
    values = {
        "ticket_id": ticket.id,
        "now": now,
        "handed_back": 1 if try_reserved else 0,
        "signed_in": user_id,
    }
    return _update(ticket, _USE_UP, values)


def _update(ticket: LoginTicket, statement, values: dict) -> bool:
    row = db.session.execute(statement, values).first()
    if row is None:
        return False
    rows.set_read(ticket, row._asdict())
    return True
