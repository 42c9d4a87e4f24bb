"""Audit events as the Management API's logs: list, page and filter them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.models import Client, Event, User

from . import bad_query, iso, paging, whole_number

# field:"exact" or field:prefix, joined by spaces (AND); date:[from TO to]
_TERM = re.compile(r'(\w+):(?:"([^"]*)"|\[([^\]]*)\]|([^\s"\[]+))')
_FIELDS = {
    "type": Event.type,
    "client_id": Event.client_id,
    "connection": Event.connection,
}
TAKE_MAX = 100


def _date(text: str) -> datetime | None:
    text = text.strip()
    if text == "*":
        return None
    try:
        moment = datetime.fromisoformat(text.removesuffix("Z"))
    except ValueError:
        raise bad_query(
            f"'{text[:40]}' is not a date (2026-11-30 or 2026-11-30T06:00:00Z)."
        ) from None
    return moment.replace(tzinfo=None)


def _conditions(search: str) -> list[Any]:
    """WHERE clauses for Auth0's log search: type, user_id, client_id, connection
    (quoted: exact; bare: starts with) and date:[from TO to]."""
    if len(search) > 400:
        raise bad_query("the search is too long.")
    conditions: list[Any] = []
    rest = _TERM.sub("", search).strip()
    if rest:
        raise bad_query(
            'search with field:"value" terms: type, user_id, client_id, connection, date.'
        )
    for field, exact, span, prefix in _TERM.findall(search):
        if field == "date":
            low, sep, high = (span or "").partition(" TO ")
            if not sep:
                raise bad_query("write a date range as date:[2026-11-01 TO 2026-11-30].")
            since, until = _date(low), _date(high)
            if since:
                conditions.append(Event.created_at >= since)
            if until:
                conditions.append(Event.created_at <= until)
        elif field == "user_id":
            users = select(User.id).where(User.sub == (exact or prefix))
            conditions.append(Event.user_id.in_(users))
        elif field in _FIELDS and not span:
            column = _FIELDS[field]
            conditions.append(column == exact if exact else column.startswith(prefix))
        else:
            raise bad_query(f"cannot search logs by '{field[:40]}'.")
    return conditions


def _as_json(found: list[Event]) -> list[dict[str, Any]]:
    """Events in Auth0's log shape, their users' `sub` and apps' names looked up once."""
    user_ids = {e.user_id for e in found if e.user_id is not None}
    client_ids = {e.client_id for e in found if e.client_id}
    subs = (
        dict(db.session.execute(select(User.id, User.sub).where(User.id.in_(user_ids))).all())
        if user_ids
        else {}
    )
    names = (
        dict(
            db.session.execute(
                select(Client.client_id, Client.name).where(Client.client_id.in_(client_ids))
            ).all()
        )
        if client_ids
        else {}
    )
    return [
        {
            "log_id": str(event.id),
            "date": iso(event.created_at),
            "type": event.type,
            "client_id": event.client_id,
            "client_name": names.get(event.client_id),
            "ip": event.ip,
            "user_agent": event.user_agent,
            "user_id": subs.get(event.user_id),
            "user_name": event.recipient,
            "connection": event.connection,
            "details": dict(event.detail or {}),
        }
        for event in found
    ]


def list_logs(args: Mapping[str, str]) -> Any:
    """GET /api/v2/logs: newest first, page/per_page/include_totals, filtered by `q`
    (or `search`); or, with `from` (a log_id), the `take` events after it, oldest first
    (Auth0's checkpoint paging)."""
    conditions = _conditions(args.get("q") or args.get("search") or "")
    if args.get("from") is not None:
        after = whole_number(args, "from", 0, 0, 2**62)
        take = whole_number(args, "take", 50, 1, TAKE_MAX)
        query = select(Event).where(Event.id > after, *conditions).order_by(Event.id).limit(take)
        return _as_json(list(db.session.scalars(query)))
    pages = paging(args)
    query = select(Event).where(*conditions)
    page = query.order_by(Event.id.desc()).offset(pages.offset).limit(pages.per_page)
    return pages.answer("logs", _as_json(list(db.session.scalars(page))), query)
