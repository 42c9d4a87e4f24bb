"""`flask outbox work`: run dedicated dispatchers (sender threads) in this process.

The command joins the `outbox` group (shared with the other outbox commands).
"""

from __future__ import annotations

import signal

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from app.delivery import dispatcher as dispatchers


@click.command("work")
@click.option(
    "--threads",
    type=click.IntRange(1, 64),
    default=None,
    help="Sender threads (default: FLASK_DISPATCH_THREADS).",
)
@click.option(
    "--stop-timeout",
    type=click.FloatRange(0, 3600),
    default=30.0,
    show_default=True,
    help="Seconds to finish claimed messages after SIGTERM or Ctrl-C.",
)
@with_appcontext
def work_command(threads: int | None, stop_timeout: float) -> None:
    """Send queued messages until SIGTERM: many of these may run at once, on any host.

    On SIGTERM or Ctrl-C it claims nothing more, finishes what it claimed, and exits.
    """
    app = current_app._get_current_object()
    size = threads or int(app.config["DISPATCH_THREADS"])
    dispatcher = dispatchers.pool(app, size)

    def shutdown(signum, _frame) -> None:
        dispatcher.stopping.set()  # run_forever returns; stop() below wakes the threads

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    click.echo(f"Dispatching with {size} sender threads; SIGTERM or Ctrl-C stops.", err=True)
    dispatcher.run_forever()
    finished = dispatcher.stop(stop_timeout)
    left = "" if finished else "; what it had not finished is retried after its lease"
    click.echo(f"Stopped{left}.", err=True)


def register(cli: click.Group) -> None:
    """Add `work` to the app's `outbox` group, creating the group if none is there."""
    group = cli.commands.get("outbox")
    if not isinstance(group, click.Group):
        group = AppGroup("outbox", help="The outbox of messages to send.")
        cli.add_command(group)
    group.add_command(work_command)
