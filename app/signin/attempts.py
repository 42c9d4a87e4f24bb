"""A ticket's row changed in SQL under races: a try counted before a code is compared,
and the ticket used up once. Each UPDATE matches the row only as the rule needs it and
returns it as changed (RETURNING), so the ticket object learns its new count without
reading the row again."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm.attributes import set_committed_value

from app.extensions import db
from app.models import LoginTicket


def reserve_try(ticket: LoginTicket) -> bool:
    """Count one try if the ticket is unused and under its cap; False if it was not.
    The caller commits before it compares the code."""
    return _update(
        ticket,
        {"failed_attempts": LoginTicket.failed_attempts + 1},
        LoginTicket.consumed_at.is_(None),
        LoginTicket.failed_attempts < LoginTicket.max_attempts,
    )


def use_up(ticket: LoginTicket, now: datetime, *, try_reserved: bool) -> bool:
    """Mark the ticket consumed at `now` unless another request did first (False); a
    reserved try is handed back (a right code is no failed attempt)."""
    values: dict[str, Any] = {"consumed_at": now}
    if try_reserved:
        values["failed_attempts"] = LoginTicket.failed_attempts - 1
    return _update(ticket, values, LoginTicket.consumed_at.is_(None))


def _update(ticket: LoginTicket, values: dict[str, Any], *conditions) -> bool:
    row = db.session.execute(
        update(LoginTicket)
        .where(LoginTicket.id == ticket.id, *conditions)
        .values(**values)
        .returning(LoginTicket.failed_attempts, LoginTicket.consumed_at)
        .execution_options(synchronize_session=False)
    ).first()
    if row is None:
        return False
    set_committed_value(ticket, "failed_attempts", row.failed_attempts)
    set_committed_value(ticket, "consumed_at", row.consumed_at)
    return True
