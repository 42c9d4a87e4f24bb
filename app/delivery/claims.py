"""Claims: how a dispatcher takes due messages so that each is sent by one of them.

A claim moves a message to `sending`, counts the try, and gives the claimer a lease
(`claimed_by`, `claimed_until`, and `next_try_at` moved to the lease's end). A
message whose lease lapsed (its dispatcher died) is due again and taken by another.

One statement claims the next due message and returns it as claimed:
`UPDATE … WHERE id IN (the first due id) RETURNING …`. On PostgreSQL the inner
SELECT is `FOR UPDATE SKIP LOCKED`, so dispatchers in many processes take different
rows without waiting for each other; SQLite runs one writer at a time, so the
statement's read and write are one step and two dispatchers never take one message.
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


def claim(now: datetime, lease: timedelta) -> OutboxMessage | None:
    """Claim the next due message for this thread: the message as claimed, or None.
    The caller commits (before it talks to a provider)."""
    due = _due_query(now, 1).with_only_columns(OutboxMessage.id)
    if is_postgresql(db.engine):
        due = due.with_for_update(skip_locked=True)
    return db.session.scalars(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(due.scalar_subquery()))
        .values(**_claim_values(now, lease))
        .returning(OutboxMessage)
        # The claim changed the row in SQL: take it as returned, not from the identity
        # map (a long-lived dispatcher session may hold it from a pass ago).
        .execution_options(synchronize_session=False, populate_existing=True)
    ).first()


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
