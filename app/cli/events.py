"""`flask events …`: the audit log, filtered by user, type and time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import click
from flask.cli import AppGroup

from app.accounts import events

from ..extensions import db
from ..models import Event, User
from .common import echo_json, user_or_fail, when

group = AppGroup("events", help="List audit events (never a code, token or cookie).")

_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_time(value: str | None) -> datetime | None:
    """An ISO time (UTC unless it says otherwise) or an age such as 15m, 2h, 7d."""
    if not value:
        return None
    value = value.strip()
    if value[:-1].isdigit() and value[-1:] in _UNITS:
        age = timedelta(**{_UNITS[value[-1]]: int(value[:-1])})
        return datetime.now(UTC).replace(tzinfo=None) - age
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        message = f"{value!r} is not an ISO time or an age like 15m, 2h, 7d."
        raise click.BadParameter(message) from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def event_as_dict(event: Event, subs: dict[int, str]) -> dict[str, Any]:
    return {
        "time": when(event.created_at),
        "type": event.type,
        "user": subs.get(event.user_id) if event.user_id else None,
        "client_id": event.client_id,
        "connection": event.connection,
        "recipient": event.recipient,
        "ip": event.ip,
        "user_agent": event.user_agent,
        "detail": event.detail or {},
    }


@group.command("list")
@click.option("--user", "user_key", help="Only this user (sub, email or phone).")
@click.option("--type", "types", multiple=True, help="Only this type; 'login.' for a family.")
@click.option("--since", help="From this time (ISO, UTC) or age (15m, 2h, 7d).")
@click.option("--until", help="Up to this time (ISO, UTC) or age.")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 10000))
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
def list_events_command(
    user_key: str | None,
    types: tuple[str, ...],
    since: str | None,
    until: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """List audit events, newest first."""
    user = user_or_fail(user_key) if user_key else None
    found = events.find(
        user_id=user.id if user else None,
        types=list(types),
        since=parse_time(since),
        until=parse_time(until),
        limit=limit,
    )
    ids = {e.user_id for e in found if e.user_id}
    subs = dict(db.session.query(User.id, User.sub).filter(User.id.in_(ids))) if ids else {}
    rows = [event_as_dict(e, subs) for e in found]
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo("No events.")
    for row in rows:
        extra = " ".join(f"{k}={v}" for k, v in row["detail"].items())
        who = row["user"] or row["recipient"] or "-"
        click.echo(
            f"{row['time']}  {row['type']:<22} {who}  client={row['client_id'] or '-'}"
            f"  ip={row['ip'] or '-'}  {extra}".rstrip()
        )
