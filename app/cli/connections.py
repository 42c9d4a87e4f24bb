"""`flask connections …`."""

from __future__ import annotations

from typing import Any

import click
from flask.cli import AppGroup

from app.accounts import connections as connection_rules

from ..extensions import db
from ..models import CONNECTIONS, SEND_MODES
from .common import echo_json, fail_on

group = AppGroup("connections", help="Show and change the email and sms connections.")


def connection_as_dict(name: str) -> dict[str, Any]:
    connection = connection_rules.get_connection(name)
    return {
        "name": connection.name,
        "send": connection.send,
        "code_length": connection.code_length,
        "ttl_seconds": connection.ttl_seconds,
        "max_attempts": connection.max_attempts,
        "signup_allowed": connection.signup_allowed,
        "sender": connection.sender,
        "allowed_countries": list(connection.allowed_countries or []),
        "default_country": connection.default_country,
        "daily_budget": connection.daily_budget,
    }


def _echo_connection(data: dict[str, Any]) -> None:
    click.echo(f"{data['name']}")
    click.echo(f"  send:           {data['send']}")
    click.echo(f"  code length:    {data['code_length']} digits")
    click.echo(f"  lifetime:       {data['ttl_seconds']} s")
    click.echo(f"  max attempts:   {data['max_attempts']}")
    click.echo(f"  sign-up:        {'allowed' if data['signup_allowed'] else 'off'}")
    if data["sender"]:
        click.echo(f"  sender:         {data['sender']}")
    if data["name"] == "sms":
        countries = ", ".join(data["allowed_countries"]) or "all"
        click.echo(f"  countries:      {countries}")
        click.echo(f"  default:        {data['default_country'] or 'from the page language'}")
        budget = data["daily_budget"]
        click.echo(f"  daily budget:   {'none' if budget is None else budget} per country")


@group.command("show")
@click.argument("name", required=False, type=click.Choice(CONNECTIONS))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def show_connections_command(name: str | None, as_json: bool) -> None:
    """Show the settings of one connection, or of both."""
    names = [name] if name else list(CONNECTIONS)
    found = [connection_as_dict(n) for n in names]
    db.session.commit()  # keep the default rows get_connection may have created
    if as_json:
        echo_json(found[0] if name else found)
        return
    for data in found:
        _echo_connection(data)


@group.command("update")
@click.argument("name", type=click.Choice(CONNECTIONS))
@click.option("--send", type=click.Choice(SEND_MODES), help="What the message carries.")
@click.option("--code-length", type=int, help="Digits in a code, 4 to 12.")
@click.option("--ttl", "ttl_seconds", type=int, help="Code lifetime in seconds, 60 to 3600.")
@click.option("--max-attempts", type=int, help="Wrong tries allowed per code, 1 to 10.")
@click.option("--signup/--no-signup", "signup_allowed", default=None, help="Allow sign-up.")
@click.option(
    "--countries",
    "allowed_countries",
    help="sms: ISO codes of the countries codes may be sent to, e.g. US,GB ('all' for any).",
)
@click.option("--default-country", help="sms: the country picked first, e.g. US ('' to unset).")
@click.option("--daily-budget", type=int, help="sms: messages per country per UTC day.")
def update_connection_command(name: str, **settings: Any) -> None:
    """Change a connection's settings."""
    given = {key: value for key, value in settings.items() if value is not None}
    if not given:
        raise click.UsageError("Nothing to change; see `connections update --help`.")
    try:
        connection_rules.update_connection(name, **given)
    except connection_rules.InvalidSetting as error:
        raise fail_on(error) from None
    click.echo("Updated connection:")
    _echo_connection(connection_as_dict(name))
