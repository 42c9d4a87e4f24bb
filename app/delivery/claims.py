"""Claims: how a dispatcher takes due messages so that each is sent by one of them.

A claim moves a message to `sending`, counts the try, and gives the claimer a lease
(`claimed_by`, `claimed_until`, and `next_try_at` moved to the lease's end). A
message whose lease lapsed (its dispatcher died) is due again and taken by another.

- PostgreSQL: one UPDATE over `SELECT … FOR UPDATE SKIP LOCKED`, so dispatchers in
  many processes take different rows without waiting for each other.
- SQLite: a conditional UPDATE per candidate that matches the row only as it was
  seen (status and next_try_at); of several racing dispatchers one wins (rowcount 1).
"""

from __future__ import annotations

import os
import socket
import threading
from datetime import datetime, timedelta

from sqlalchemy import select, update

from ..database import is_postgresql
from ..extensions import db
from ..models import OutboxMessage

DUE_STATUSES = ("pending", "sending")
CANDIDATES = 50


def worker_name() -> str:
    """Who claims: host, process and thread, so an operator can tell dispatchers apart."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.current_thread().name}"[:200]


def claim(now: datetime, lease: timedelta, limit: int = 1) -> list[int]:
    """Claim up to `limit` due messages for this thread; commits; returns their ids."""
    if is_postgresql(db.engine):
        return _claim_skip_locked(now, lease, limit)
    return _claim_conditionally(now, lease, limit)


def _claim_values(now: datetime, lease: timedelta) -> dict:
    return {
        "status": "sending",
        "tries": OutboxMessage.tries + 1,
        "next_try_at": now + lease,
        "claimed_until": now + lease,
        "claimed_by": worker_name(),
    }


def _due_query(now: datetime, limit: int):
    return (
        select(OutboxMessage.id, OutboxMessage.status, OutboxMessage.next_try_at)
        .where(OutboxMessage.status.in_(DUE_STATUSES), OutboxMessage.next_try_at <= now)
        .order_by(OutboxMessage.next_try_at, OutboxMessage.id)
        .limit(limit)
    )


def _claim_skip_locked(now: datetime, lease: timedelta, limit: int) -> list[int]:
    due = _due_query(now, limit).with_only_columns(OutboxMessage.id)
    due = due.with_for_update(skip_locked=True).scalar_subquery()
    ids = db.session.scalars(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(due))
        .values(**_claim_values(now, lease))
        .returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)
    ).all()
    db.session.commit()
    return sorted(ids)


def _claim_conditionally(now: datetime, lease: timedelta, limit: int) -> list[int]:
    claimed: list[int] = []
    for message_id, status, next_try_at in due_messages(now):
        if len(claimed) >= limit:
            break
        if claim_if_unchanged(message_id, status, next_try_at, now, lease):
            claimed.append(message_id)
    return claimed


def due_messages(now: datetime) -> list[tuple[int, str, datetime]]:
    """Pending messages whose time has come, and claims that outlived their lease."""
    rows = db.session.execute(_due_query(now, CANDIDATES)).all()
    db.session.commit()
    return [tuple(row) for row in rows]


def claim_if_unchanged(
    message_id: int, status: str, next_try_at: datetime, now: datetime, lease: timedelta
) -> bool:
    """Take a message as it was seen; False if another dispatcher changed it first."""
    result = db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.status == status,
            OutboxMessage.next_try_at == next_try_at,
        )
        .values(**_claim_values(now, lease))
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount == 1
