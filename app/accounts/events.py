"""Audit events: who did what, when, from where; never a secret."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.models import Event


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
) -> Event:
    """Add an event to the current transaction (the caller commits)."""
    event = Event(
        type=type_,
        client_id=client_id,
        user_id=user_id,
        connection=connection,
        recipient=mask_recipient(recipient),
        ip=ip,
        user_agent=(user_agent or "")[:300] or None,
        detail=detail,
    )
    db.session.add(event)
    return event


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
