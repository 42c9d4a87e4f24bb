"""Claims: how a dispatcher takes due messages so that each is sent by one of them.

A claim moves a message to `sending`, counts the try, and gives the claimer a lease
(`claimed_by`, `claimed_until`, and `next_try_at` moved to the lease's end). A
message whose lease lapsed (its dispatcher died) is due again and taken by another.

One statement claims the next due message and returns it as claimed:
`UPDATE … WHERE id IN (the first due id) RETURNING …`. On PostgreSQL the inner
SELECT is `FOR UPDATE SKIP LOCKED`, so dispatchers in many processes take different
rows without waiting for each other; SQLite runs one writer at a time, so the
statement's read and write are one step and two dispatchers never take one message.

The same statement returns what the send needs besides the message (its ticket's
expiry and app, by primary key) and whether another message was due at that moment.
When none was, the dispatcher does not look again after sending: a message committed
later wakes a dispatcher itself (its commit, or PostgreSQL's NOTIFY, comes after the
claim's read, and a wake that finds every thread busy is kept until one is free;
app/delivery/workers.py). The statement is built once per dialect, with parameters.
"""

from __future__ import annotations

import functools
import os
import socket
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, exists, literal_column, select, update
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import BindParameter

from ..database import is_postgresql
from ..extensions import db
from ..models import Client, LoginTicket, OutboxMessage

DUE_STATUSES = ("pending", "sending")
CANDIDATES = 50


def worker_name() -> str:
    """Who claims: host, process and thread, so an operator can tell dispatchers apart."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.current_thread().name}"[:200]


@dataclass(frozen=True)
class Claimed:
    """A claimed message, its ticket's expiry and app (None without a ticket), and
    whether another message was due when it was claimed."""

    message: OutboxMessage
    ticket_expires_at: datetime | None
    client_id: str | None
    more_due: bool


def claim(now: datetime, lease: timedelta) -> OutboxMessage | None:
    """Claim the next due message for this thread: the message as claimed, or None.
    The caller commits (before it talks to a provider)."""
    claimed = claim_next(now, lease)
    return claimed.message if claimed is not None else None


def claim_next(now: datetime, lease: timedelta) -> Claimed | None:
    """`claim`, with what the send needs besides the message (see above); one statement."""
    row = db.session.execute(
        _claim_statement(is_postgresql(db.engine)),
        {"now": now, "lease_end": now + lease, "claimer": worker_name()},
    ).first()
    if row is None:
        return None
    message, expires_at, client_id, more_due = row
    return Claimed(message, expires_at, client_id, bool(more_due))


@functools.cache
def _claim_statement(postgresql: bool):
    """The claim, built once per dialect kind (SKIP LOCKED on PostgreSQL); its
    parameters are `now`, `lease_end` and `claimer`."""
    now = bindparam("now", type_=OutboxMessage.next_try_at.type)
    lease_end = bindparam("lease_end", type_=OutboxMessage.next_try_at.type)
    due = _due_query(now, 1).with_only_columns(OutboxMessage.id)
    if postgresql:
        due = due.with_for_update(skip_locked=True)
    # The claimed row, as named inside RETURNING's subqueries. SQLAlchemy writes
    # SQLite's RETURNING without table names, so a column of the claimed row must be
    # spelled out to stay apart from the subquery's own (unqualified names resolve to
    # the innermost table that has them).
    claimed_id = literal_column("outbox_messages.id", OutboxMessage.id.type)
    ticket_id = literal_column("outbox_messages.ticket_id", OutboxMessage.ticket_id.type)
    ticket_expiry = (
        select(LoginTicket.expires_at).where(LoginTicket.id == ticket_id).scalar_subquery()
    )
    ticket_client = select(LoginTicket.client_pk).where(LoginTicket.id == ticket_id)
    client_id = (
        select(Client.client_id).where(Client.id == ticket_client.scalar_subquery())
    ).scalar_subquery()
    # Another due message: PostgreSQL's subquery sees the rows as the statement began
    # (the claimed one still due), SQLite's sees the claim: leave the claimed row out.
    other = aliased(OutboxMessage)
    more_due = exists().where(
        other.status.in_(DUE_STATUSES), other.next_try_at <= now, other.id != claimed_id
    )
    return (
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(due.scalar_subquery()))
        .values(
            status="sending",
            tries=OutboxMessage.tries + 1,
            next_try_at=lease_end,
            claimed_until=lease_end,
            claimed_by=bindparam("claimer", type_=OutboxMessage.claimed_by.type),
        )
        .returning(OutboxMessage, ticket_expiry, client_id, more_due)
        # The claim changed the row in SQL: take it as returned, not from the identity
        # map (a long-lived dispatcher session may hold it from a pass ago).
        .execution_options(synchronize_session=False, populate_existing=True)
    )


def _due_query(now: datetime | BindParameter, limit: int):
    return (
        select(OutboxMessage.id, OutboxMessage.status, OutboxMessage.next_try_at)
        .where(OutboxMessage.status.in_(DUE_STATUSES), OutboxMessage.next_try_at <= now)
        .order_by(OutboxMessage.next_try_at, OutboxMessage.id)
        .limit(limit)
    )
