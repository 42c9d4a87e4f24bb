"""`flask admins …`: who may use the operator console at /admin."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.accounts import admins
from app.signin.addresses import InvalidAddress

from .common import when

group = AppGroup("admins", help="Name the people who may use the operator console (/admin).")


@group.command("add")
@click.argument("email")
def add_admin_command(email: str) -> None:
    """Let the owner of EMAIL into the console (after signing in with a code sent there)."""
    try:
        admin = admins.add(email)
    except (InvalidAddress, admins.AdminExists) as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"{admin.email} is an admin.")


@group.command("remove")
@click.argument("email")
def remove_admin_command(email: str) -> None:
    """Take EMAIL off the admins list; their next console request is refused."""
    try:
        admins.remove(email)
    except (InvalidAddress, admins.NotAnAdmin) as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"{email.strip().lower()} is no longer an admin.")


@group.command("list")
def list_admins_command() -> None:
    """List the admins' email addresses and when each was added."""
    rows = admins.all_admins()
    if not rows:
        click.echo("No admins yet. Add one with `flask admins add EMAIL`.")
    for admin in rows:
        click.echo(f"{admin.email}  added {when(admin.added_at)}")
