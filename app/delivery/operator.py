"""What an operator asks of the outbox: how it stands, send failed messages again, purge.

Used by `flask outbox status|retry|purge`. Nothing here shows a message's content
or a full address.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select

from app.accounts.events import mask_recipient

from ..extensions import db
from ..models import LoginTicket, OutboxMessage
from . import outbox


@dataclass(frozen=True)
class Failure:
    id: int
    channel: str
    recipient: str | None  # masked
    provider: str | None
    tries: int
    error: str | None
    created_at: datetime


def status(now: datetime, recent: int = 10) -> dict[str, object]:
    """Counts per status and channel, the oldest due message's wait, the newest failures."""
    counts = db.session.execute(
        select(OutboxMessage.status, OutboxMessage.channel, func.count(OutboxMessage.id))
        .group_by(OutboxMessage.status, OutboxMessage.channel)
        .order_by(OutboxMessage.status, OutboxMessage.channel)
    ).all()
    oldest_due = db.session.scalar(
        select(func.min(OutboxMessage.created_at)).where(
            OutboxMessage.status.in_(("pending", "sending"))
        )
    )
    failed = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.status == "failed")
        .order_by(OutboxMessage.id.desc())
        .limit(recent)
    ).all()
    return {
        "counts": [{"status": s, "channel": c, "messages": n} for s, c, n in counts],
        "oldest_unsent_seconds": int((now - oldest_due).total_seconds()) if oldest_due else None,
        "failures": [_failure(row) for row in failed],
    }


def _failure(row: OutboxMessage) -> Failure:
    return Failure(
        id=row.id,
        channel=row.channel,
        recipient=mask_recipient(row.recipient),
        provider=row.provider,
        tries=row.tries,
        error=row.last_error,
        created_at=row.created_at,
    )


def retry(now: datetime, ids: list[int] | None) -> tuple[list[int], dict[int, str]]:
    """Make failed (or waiting) messages due now with a fresh count of tries; no commit.

    `ids` None means every failed message. Returns the ids queued again and, per id
    that was not, why: unknown, already sent or in progress, content removed, or its
    sign-in ended (a code past its ticket's life would only mislead).
    """
    query = select(OutboxMessage)
    if ids is None:
        query = query.where(OutboxMessage.status == "failed")
    else:
        query = query.where(OutboxMessage.id.in_(ids))
    rows = {row.id: row for row in db.session.scalars(query).all()}
    queued: list[int] = []
    skipped = {message_id: "no such message" for message_id in ids or [] if message_id not in rows}
    for row in rows.values():
        reason = _why_not(row, now)
        if reason:
            skipped[row.id] = reason
            continue
        row.status, row.tries, row.next_try_at = "pending", 0, now
        queued.append(row.id)
    return sorted(queued), skipped


def _why_not(row: OutboxMessage, now: datetime) -> str | None:
    if row.status in ("sent", "sending"):
        return f"already {row.status}"
    if outbox.is_purged(row):
        return "content removed"
    ticket = db.session.get(LoginTicket, row.ticket_id) if row.ticket_id else None
    if ticket is not None and (ticket.expires_at <= now or ticket.consumed_at is not None):
        return "its sign-in ended"
    return None


def purge_finished(before: datetime) -> int:
    """Delete sent and failed messages created before `before`; no commit."""
    result = db.session.execute(
        delete(OutboxMessage)
        .where(OutboxMessage.status.in_(("sent", "failed")), OutboxMessage.created_at < before)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def days_ago(now: datetime, days: int) -> datetime:
    return now - timedelta(days=days)
