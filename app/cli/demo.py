"""`flask demo …`."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.accounts import demo

group = AppGroup("demo", help="The demo relying app used by `make run`.")


@group.command("setup")
def demo_setup_command() -> None:
    """Register (or refresh) the demo relying apps used by `make run`."""
    for ensure in (demo.ensure_demo_client, demo.ensure_demo_spa_client):
        client, created = ensure()
        verb = "Registered" if created else "Refreshed"
        click.echo(f"{verb} the demo client {client.name!r} ({client.client_id}).")
        click.echo(f"  callback: {', '.join(client.redirect_uris)}")
    click.echo(f"  auth0.js embedded: /demo/auth0js (its app: {demo.DEMO_AUTH0JS_CLIENT_ID})")
    lock = demo.ensure_lock_demo_client()
    click.echo(f"  embedded Lock: /demo/lock/ (its app: {lock.client_id})")
