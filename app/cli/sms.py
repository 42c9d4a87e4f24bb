"""`flask sms …`: the numbers that show SMS pumping."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.signin import sms_guard

from .common import echo_json

group = AppGroup("sms", help="SMS sign-in statistics.")


@group.command("stats")
@click.option("--days", default=7, show_default=True, type=click.IntRange(1, 366))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def sms_stats_command(days: int, as_json: bool) -> None:
    """Per UTC day and country: codes sent, sign-ins verified, completion rate.

    A country whose completion rate falls far below the others is being pumped:
    restrict it with `connections update sms --countries` or lower the daily budget.
    """
    rows = sms_guard.daily_stats(days)
    if as_json:
        echo_json(
            [
                {
                    "day": row.day,
                    "country": row.country,
                    "sent": row.sent,
                    "verified": row.verified,
                    "completion_rate": round(row.completion_rate, 3),
                }
                for row in rows
            ]
        )
        return
    if not rows:
        click.echo(f"No SMS codes sent in the last {days} days.")
        return
    click.echo(f"{'day':<12}{'country':<9}{'sent':>6}{'verified':>10}{'completion':>12}")
    for row in rows:
        click.echo(
            f"{row.day:<12}{row.country:<9}{row.sent:>6}{row.verified:>10}"
            f"{row.completion_rate:>11.0%} "
        )
