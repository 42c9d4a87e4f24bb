"""Audit events: who did what, when, from where; never a secret.

`record` adds an event to the current transaction. Events are written with Core
(no ORM object per event): all of a transaction's events in one INSERT, before the
session's next statement or at commit, so a query in the same transaction still
sees them and a rollback drops them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import event, insert, select
from sqlalchemy.orm import Session

from app.extensions import db
from app.models import Event, utcnow

# session.info key: the rows of events recorded and not yet written.
PENDING = "latchkey.pending_events"


def mask_recipient(value: str | None) -> str | None:
    """Mask an email address or phone number for the audit log: j***@e***.com, +44*****89."""
    if not value:
        return value
    if "@" in value:
        local, _, domain = value.rpartition("@")
        host, dot, tld = domain.rpartition(".")
        masked_host = (host[:1] + "***") if host else "***"
        return f"{local[:1]}***@{masked_host}{dot}{tld}"
    return value[:3] + "*" * max(len(value) - 5, 0) + value[-2:]


def record(
    type_: str,
    *,
    client_id: str | None = None,
    user_id: int | None = None,
    connection: str | None = None,
    recipient: str | None = None,
    ip: str | None = None,
    user_agent: str | None = None,
    **detail: Any,
) -> None:
    """Add an event to the current transaction (the caller commits)."""
    db.session.info.setdefault(PENDING, []).append(
        {
            "type": type_,
            "created_at": utcnow(),
            "client_id": client_id,
            "user_id": user_id,
            "connection": connection,
            "recipient": mask_recipient(recipient),
            "ip": ip,
            "user_agent": (user_agent or "")[:300] or None,
            "detail": detail,
        }
    )


def find(
    *,
    user_id: int | None = None,
    types: list[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 100,
) -> list[Event]:
    """Events, newest first, filtered by user, type (a trailing `.` or `*` matches a
    family: `login.`), and time (naive UTC)."""
    query = select(Event).order_by(Event.id.desc()).limit(limit)
    if user_id is not None:
        query = query.where(Event.user_id == user_id)
    if types:
        exact = [t for t in types if not t.endswith((".", "*"))]
        prefixes = [t.rstrip("*") for t in types if t.endswith((".", "*"))]
        conditions = [Event.type.in_(exact)] if exact else []
        conditions += [Event.type.startswith(prefix) for prefix in prefixes]
        query = query.where(db.or_(*conditions))
    if since is not None:
        query = query.where(Event.created_at >= since)
    if until is not None:
        query = query.where(Event.created_at <= until)
    return list(db.session.scalars(query))


def _write_pending(session: Session) -> None:
    rows = session.info.pop(PENDING, None)
    if rows:
        session.connection().execute(insert(Event.__table__), rows)


def _before_statement(orm_execute_state) -> None:
    if orm_execute_state.session.info.get(PENDING):
        _write_pending(orm_execute_state.session)


def _before_commit(session: Session) -> None:
    if session.info.get(PENDING):
        _write_pending(session)


def _after_transaction_end(session: Session, transaction) -> None:
    """A rollback (or a close) drops what was not written; a savepoint's end does not."""
    if transaction.parent is None:
        session.info.pop(PENDING, None)


def init_app(app) -> None:
    """Write recorded events through the app's sessions (once per process: the
    listeners belong to Flask-SQLAlchemy's session class)."""
    if event.contains(db.session, "before_commit", _before_commit):
        return
    event.listen(db.session, "do_orm_execute", _before_statement)
    event.listen(db.session, "before_commit", _before_commit)
    event.listen(db.session, "after_transaction_end", _after_transaction_end)
