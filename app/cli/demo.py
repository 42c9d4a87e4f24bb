"""`flask demo …`."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.accounts import demo

group = AppGroup("demo", help="The demo relying app used by `make run`.")


@group.command("setup")
def demo_setup_command() -> None:
    """Register (or refresh) the demo relying app used by `make run`."""
    client, created = demo.ensure_demo_client()
    verb = "Registered" if created else "Refreshed"
    click.echo(f"{verb} the demo client {client.name!r} ({client.client_id}).")
    click.echo(f"  callback: {', '.join(client.redirect_uris)}")
    lock = demo.ensure_lock_demo_client()
    click.echo(
        f"  embedded Lock: {lock.redirect_uris[0].removesuffix('callback')} ({lock.client_id})"
    )
