"""Housekeeping: what ended is forgotten, so no table grows without bound.

- `forget_ended_content(now)`: the subject, body and sealed copy of every finished
  message whose ticket ended (expired or used) are removed, and its recipient masked
  (the dev provider's rows keep their address: /dev/outbox, debug only).
- `purge_expired(now)`: that, then deletes what is past its retention
  (RETAIN_* settings): login tickets, authorization codes, access and refresh tokens, SSO
  sessions, sent and failed messages, old audit events.

`flask purge` runs it once; a dispatcher calls `purge_due(now)` on each pass, which
purges at most every PURGE_INTERVAL seconds per process. Nothing here commits.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, delete, func, or_, select, update

from app.accounts import events

from .extensions import db
from .models import (
    AccessToken,
    AuthorizationCode,
    BrowserSession,
    Event,
    LoginTicket,
    OutboxMessage,
    RefreshToken,
    VerifiedSignIn,
)

FINISHED = ("sent", "failed")
BATCH = 500
LAST_PURGE_KEY = "latchkey_last_purge"


def forget_ended_content(now: datetime) -> int:
    """Remove the content of finished messages whose ticket ended; mask their recipient."""
    ended = select(LoginTicket.id).where(
        or_(LoginTicket.expires_at < now, LoginTicket.consumed_at.is_not(None))
    )
    rows = db.session.scalars(
        select(OutboxMessage)
        .where(
            OutboxMessage.status.in_(FINISHED),
            OutboxMessage.ticket_id.in_(ended),
            or_(
                OutboxMessage.subject != "",
                OutboxMessage.body_text != "",
                OutboxMessage.body_html != "",
                OutboxMessage.sealed_content.is_not(None),
            ),
        )
        .limit(BATCH)
    ).all()
    for row in rows:
        row.subject, row.body_text, row.body_html, row.sealed_content = "", "", "", None
        if row.provider != "dev":
            row.recipient = events.mask_recipient(row.recipient) or ""
    return len(rows)


def purge_expired(now: datetime) -> dict[str, int]:
    """Forget ended content, then delete what outlived its retention; counts per table."""
    config = current_app.config
    days = timedelta(days=1)
    tickets_before = now - config["RETAIN_TICKETS_DAYS"] * days
    ended_before = now - config["RETAIN_EXPIRED_DAYS"] * days
    counts = {"message_contents": forget_ended_content(now)}
    counts["messages"] = _delete(
        OutboxMessage,
        OutboxMessage.status.in_(FINISHED),
        func.coalesce(OutboxMessage.sent_at, OutboxMessage.created_at)
        < now - config["RETAIN_MESSAGES_DAYS"] * days,
    )
    # auth0.js's verified sign-ins live two minutes; past that they are dead weight
    counts["verified_sign_ins"] = _delete(VerifiedSignIn, VerifiedSignIn.expires_at < now)
    counts["tickets"] = _delete_tickets(tickets_before)
    counts["access_tokens"] = _delete(AccessToken, AccessToken.expires_at < ended_before)
    counts["refresh_tokens"] = _delete(
        RefreshToken,
        or_(RefreshToken.expires_at < ended_before, RefreshToken.revoked_at < ended_before),
    )
    counts["authorization_codes"] = _delete_codes(ended_before)
    counts["sessions"] = _delete(BrowserSession, _session_ended_before(ended_before))
    counts["events"] = _delete(Event, Event.created_at < now - config["RETAIN_EVENTS_DAYS"] * days)
    return counts


def purge_due(now: datetime) -> dict[str, int] | None:
    """What a dispatcher pass calls: purge when PURGE_INTERVAL passed since this process's
    last purge (0 turns it off), else only forget ended content. None when it did not purge."""
    interval = current_app.config["PURGE_INTERVAL"]
    last = current_app.extensions.get(LAST_PURGE_KEY)
    if not interval or (last is not None and now - last < timedelta(seconds=interval)):
        forget_ended_content(now)
        return None
    current_app.extensions[LAST_PURGE_KEY] = now
    return purge_expired(now)


def _delete(model, *conditions) -> int:
    result = db.session.execute(
        delete(model).where(*conditions).execution_options(synchronize_session=False)
    )
    return result.rowcount


def _delete_tickets(before: datetime) -> int:
    """Delete tickets expired before `before`; their remaining messages lose the link."""
    old = select(LoginTicket.id).where(LoginTicket.expires_at < before)
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.ticket_id.in_(old))
        .values(ticket_id=None, subject="", body_text="", body_html="", sealed_content=None)
        .execution_options(synchronize_session=False)
    )
    return _delete(LoginTicket, LoginTicket.expires_at < before)


def _delete_codes(before: datetime) -> int:
    """Delete authorization codes expired before `before` (tokens keep no link to them)."""
    old = select(AuthorizationCode.id).where(AuthorizationCode.expires_at < before)
    db.session.execute(
        update(AccessToken)
        .where(AccessToken.authorization_code_id.in_(old))
        .values(authorization_code_id=None)
        .execution_options(synchronize_session=False)
    )
    return _delete(AuthorizationCode, AuthorizationCode.expires_at < before)


def _session_ended_before(before: datetime):
    """Sessions logged out, or past their absolute or idle limit, before `before`."""
    config = current_app.config
    absolute = timedelta(seconds=config["SSO_ABSOLUTE_TIMEOUT"])
    idle = timedelta(seconds=config["SSO_IDLE_TIMEOUT"])
    return or_(
        and_(BrowserSession.ended_at.is_not(None), BrowserSession.ended_at < before),
        BrowserSession.created_at < before - absolute,
        BrowserSession.last_seen_at < before - idle,
    )
