"""`flask outbox status|retry|purge` and `flask purge`."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from app import housekeeping
from app.accounts import events
from app.delivery import operator

from ..extensions import db
from ..models import utcnow
from .common import echo_json, when

group = AppGroup("outbox", help="See, retry and purge the outgoing messages.")


@group.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def status_command(as_json: bool) -> None:
    """Messages per status and channel, the oldest unsent one's wait, recent failures."""
    report = operator.status(utcnow())
    failures = [
        {**failure.__dict__, "created_at": when(failure.created_at)}
        for failure in report["failures"]
    ]
    if as_json:
        echo_json({**report, "failures": failures})
        return
    if not report["counts"]:
        click.echo("The outbox is empty.")
        return
    for row in report["counts"]:
        click.echo(f"{row['status']:<8} {row['channel']:<6} {row['messages']:>7}")
    if report["oldest_unsent_seconds"] is not None:
        click.echo(f"oldest unsent message waits for {report['oldest_unsent_seconds']} s")
    for failure in failures:
        click.echo(
            f"failed #{failure['id']} {failure['channel']} to {failure['recipient']} "
            f"via {failure['provider']} after {failure['tries']} tries: {failure['error']}"
        )


@group.command("retry")
@click.argument("ids", nargs=-1, type=click.IntRange(1, 2**63 - 1))
@click.option("--all-failed", is_flag=True, help="Every failed message.")
def retry_command(ids: tuple[int, ...], all_failed: bool) -> None:
    """Send failed messages again now (by id, or --all-failed), with a fresh count of tries."""
    if bool(ids) == all_failed:
        raise click.UsageError("Give message ids or --all-failed (one of them).")
    queued, skipped = operator.retry(utcnow(), None if all_failed else list(ids))
    if queued:
        events.record("admin.outbox_retry", messages=queued)
    db.session.commit()
    click.echo(
        f"Queued again: {len(queued)}" + (f" ({', '.join(map(str, queued))})" if queued else "")
    )
    for message_id, reason in sorted(skipped.items()):
        click.echo(f"Skipped #{message_id}: {reason}")


@group.command("purge")
@click.option(
    "--older-than",
    "days",
    type=click.IntRange(1, 36500),
    default=None,
    help="Days (default FLASK_RETAIN_MESSAGES_DAYS).",
)
def purge_command(days: int | None) -> None:
    """Delete sent and failed messages older than N days; remove ended sign-ins' content."""
    now = utcnow()
    days = days or current_app.config["RETAIN_MESSAGES_DAYS"]
    forgotten = housekeeping.forget_ended_content(now)
    deleted = operator.purge_finished(operator.days_ago(now, days))
    db.session.commit()
    click.echo(f"Deleted {deleted} messages older than {days} days; emptied {forgotten} more.")


@click.command("purge")
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
@with_appcontext
def purge_all_command(as_json: bool) -> None:
    """Delete what ended past its retention: tickets, codes, tokens, sessions, messages, events.

    Retention: FLASK_RETAIN_TICKETS_DAYS, FLASK_RETAIN_EXPIRED_DAYS,
    FLASK_RETAIN_MESSAGES_DAYS, FLASK_RETAIN_EVENTS_DAYS (see README, 'Housekeeping').
    """
    counts = housekeeping.purge_expired(utcnow())
    db.session.commit()
    if as_json:
        echo_json(counts)
        return
    click.echo(", ".join(f"{name.replace('_', ' ')}: {count}" for name, count in counts.items()))
