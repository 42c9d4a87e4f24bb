"""Operator commands: `flask --app wsgi clients|connections|users|keys|demo ...`.

Each command reads its options, calls one domain function and prints the outcome.
Bad values end in a one-line error and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import click
from flask import Flask
from flask.cli import AppGroup

from . import clients as client_rules
from . import connections as connection_rules
from . import events, signing_keys, users
from .extensions import db
from .models import CLIENT_TYPES, CONNECTIONS, SEND_MODES, Client, SigningKey, User

clients_cli = AppGroup("clients", help="Register and manage relying apps.")
connections_cli = AppGroup("connections", help="Show and change the email and sms connections.")
users_cli = AppGroup("users", help="List, show, block and unblock users.")
keys_cli = AppGroup("keys", help="Rotate and list the ID token signing keys.")
demo_cli = AppGroup("demo", help="The demo relying app used by `make run`.")


def init_app(app: Flask) -> None:
    """Register the command groups with the app's `flask` command."""
    for group in (clients_cli, connections_cli, users_cli, keys_cli, demo_cli):
        app.cli.add_command(group)


# Helpers


def _echo_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2))


def _when(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") + "Z" if moment else None


def _split_connections(value: str | None) -> list[str] | None:
    if value is None:
        return None
    return [name.strip() for name in value.split(",") if name.strip()]


def _client_or_fail(client_id: str) -> Client:
    client = client_rules.find_client(client_id)
    if client is None:
        raise click.ClickException(f"No client with client_id {client_id!r}.")
    return client


def _user_or_fail(key: str) -> User:
    user = users.find_by_sub_or_identity(key)
    if user is None:
        raise click.ClickException(f"No user with sub, email or phone {key!r}.")
    return user


def _fail_on(error: ValueError) -> click.ClickException:
    return click.ClickException(str(error))


# Clients


def client_as_dict(client: Client) -> dict[str, Any]:
    """A client's public settings: never its secret or the secret's hash."""
    return {
        "client_id": client.client_id,
        "name": client.name,
        "type": client.client_type,
        "confidential": not client.is_public,
        "callbacks": list(client.redirect_uris or []),
        "origins": list(client.web_origins or []),
        "logout_urls": list(client.logout_urls or []),
        "connections": list(client.connections or []),
        "created": _when(client.created_at),
    }


def _with_secret(client: Client, secret: str | None) -> dict[str, Any]:
    data = client_as_dict(client)
    data = {"client_id": data.pop("client_id"), "client_secret": secret, **data}
    return data


def _echo_client(client: Client) -> None:
    data = client_as_dict(client)
    click.echo(f"{data['name']}  ({data['type']})")
    click.echo(f"  client_id:    {data['client_id']}")
    click.echo(
        f"  secret:       {'set (stored hashed)' if data['confidential'] else 'none (PKCE)'}"
    )
    for label, key in (
        ("callbacks", "callbacks"),
        ("origins", "origins"),
        ("logout URLs", "logout_urls"),
    ):
        values = data[key]
        click.echo(f"  {label + ':':<13} {values[0] if values else '-'}")
        for value in values[1:]:
            click.echo(f"  {'':<13} {value}")
    click.echo(f"  connections:  {', '.join(data['connections'])}")
    click.echo(f"  created:      {data['created']}")


def _echo_secret(secret: str) -> None:
    click.echo(f"  client_secret: {secret}")
    click.secho(
        "Copy the client secret now: it is stored hashed and cannot be shown again.",
        fg="yellow",
    )


@clients_cli.command("create")
@click.option("--name", required=True, help="The app's name, shown on the login page.")
@click.option(
    "--callback", "callbacks", multiple=True, required=True, help="A callback URL (repeatable)."
)
@click.option("--origin", "origins", multiple=True, help="A web origin for CORS (repeatable).")
@click.option("--logout-url", "logout_urls", multiple=True, help="A logout URL (repeatable).")
@click.option(
    "--type", "client_type", type=click.Choice(CLIENT_TYPES), default="regular", show_default=True
)
@click.option(
    "--connections", default="email", show_default=True, help="Comma-separated: email,sms."
)
@click.option("--json", "as_json", is_flag=True, help="Print the new client as one JSON object.")
def create_client_command(
    name: str,
    callbacks: tuple[str, ...],
    origins: tuple[str, ...],
    logout_urls: tuple[str, ...],
    client_type: str,
    connections: str,
    as_json: bool,
) -> None:
    """Register a relying app. A regular app's secret is shown once."""
    try:
        client, secret = client_rules.create_client(
            name,
            callbacks,
            client_type=client_type,
            origins=origins,
            logout_urls=logout_urls,
            connections=_split_connections(connections) or [],
        )
    except client_rules.InvalidClient as error:
        raise _fail_on(error) from None
    if as_json:
        _echo_json(_with_secret(client, secret))
        return
    click.echo("Created client:")
    _echo_client(client)
    if secret:
        _echo_secret(secret)


@clients_cli.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
def list_clients_command(as_json: bool) -> None:
    """List the registered clients (never their secrets)."""
    found = client_rules.all_clients()
    if as_json:
        _echo_json([client_as_dict(c) for c in found])
        return
    if not found:
        click.echo("No clients yet. Add one with: flask --app wsgi clients create --help")
        return
    for client in found:
        first = client.redirect_uris[0] if client.redirect_uris else "-"
        more = f" (+{len(client.redirect_uris) - 1})" if len(client.redirect_uris) > 1 else ""
        click.echo(f"{client.client_id}  {client.client_type:<7}  {client.name}  {first}{more}")


@clients_cli.command("show")
@click.argument("client_id")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def show_client_command(client_id: str, as_json: bool) -> None:
    """Show one client's settings (never its secret)."""
    client = _client_or_fail(client_id)
    if as_json:
        _echo_json(client_as_dict(client))
    else:
        _echo_client(client)


@clients_cli.command("update")
@click.argument("client_id")
@click.option("--name", help="A new name.")
@click.option("--callback", "callbacks", multiple=True, help="Replaces all callback URLs.")
@click.option("--origin", "origins", multiple=True, help="Replaces all web origins.")
@click.option("--clear-origins", is_flag=True, help="Remove all web origins.")
@click.option("--logout-url", "logout_urls", multiple=True, help="Replaces all logout URLs.")
@click.option("--clear-logout-urls", is_flag=True, help="Remove all logout URLs.")
@click.option("--connections", help="Comma-separated: email,sms.")
@click.option("--rotate-secret", is_flag=True, help="Issue a new secret (regular apps only).")
@click.option("--json", "as_json", is_flag=True, help="Print the client as one JSON object.")
def update_client_command(
    client_id: str,
    name: str | None,
    callbacks: tuple[str, ...],
    origins: tuple[str, ...],
    clear_origins: bool,
    logout_urls: tuple[str, ...],
    clear_logout_urls: bool,
    connections: str | None,
    rotate_secret: bool,
    as_json: bool,
) -> None:
    """Change a client. Repeated options replace the whole list."""
    if origins and clear_origins:
        raise click.UsageError("Give --origin or --clear-origins, not both.")
    if logout_urls and clear_logout_urls:
        raise click.UsageError("Give --logout-url or --clear-logout-urls, not both.")
    changes = _client_changes(
        name=name,
        callbacks=callbacks,
        origins=[] if clear_origins else origins,
        logout_urls=[] if clear_logout_urls else logout_urls,
        connections=_split_connections(connections),
    )
    if not changes and not rotate_secret:
        raise click.UsageError("Nothing to change; see `clients update --help`.")
    client = _client_or_fail(client_id)
    if rotate_secret and client.is_public:
        raise click.ClickException(
            f"A {client.client_type} client is public and has no secret to rotate."
        )
    secret = None
    try:
        if changes:
            client_rules.update_client(client, **changes)
        if rotate_secret:
            secret = client_rules.rotate_secret(client)
    except client_rules.InvalidClient as error:
        raise _fail_on(error) from None
    if as_json:
        _echo_json(_with_secret(client, secret) if secret else client_as_dict(client))
        return
    click.echo("Updated client:")
    _echo_client(client)
    if secret:
        _echo_secret(secret)


def _client_changes(**options: Any) -> dict[str, Any]:
    """Only the options the operator gave: None and empty lists mean 'unchanged'."""
    changes = {}
    for key, value in options.items():
        if value is None:
            continue
        if isinstance(value, tuple) and not value:
            continue
        changes[key] = list(value) if isinstance(value, tuple) else value
    return changes


@clients_cli.command("delete")
@click.argument("client_id")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def delete_client_command(client_id: str, yes: bool) -> None:
    """Delete a client with its pending tickets, codes and tokens."""
    client = _client_or_fail(client_id)
    if not yes:
        click.confirm(f"Delete client {client.name!r} ({client.client_id})?", abort=True)
    name = client.name
    client_rules.delete_client(client)
    click.echo(f"Deleted client {name!r} ({client_id}).")


# Connections


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


@connections_cli.command("show")
@click.argument("name", required=False, type=click.Choice(CONNECTIONS))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def show_connections_command(name: str | None, as_json: bool) -> None:
    """Show the settings of one connection, or of both."""
    names = [name] if name else list(CONNECTIONS)
    found = [connection_as_dict(n) for n in names]
    db.session.commit()  # keep the default rows get_connection may have created
    if as_json:
        _echo_json(found[0] if name else found)
        return
    for data in found:
        _echo_connection(data)


@connections_cli.command("update")
@click.argument("name", type=click.Choice(CONNECTIONS))
@click.option("--send", type=click.Choice(SEND_MODES), help="What the message carries.")
@click.option("--code-length", type=int, help="Digits in a code, 4 to 12.")
@click.option("--ttl", "ttl_seconds", type=int, help="Code lifetime in seconds, 60 to 3600.")
@click.option("--max-attempts", type=int, help="Wrong tries allowed per code, 1 to 10.")
@click.option("--signup/--no-signup", "signup_allowed", default=None, help="Allow sign-up.")
def update_connection_command(name: str, **settings: Any) -> None:
    """Change a connection's settings."""
    given = {key: value for key, value in settings.items() if value is not None}
    if not given:
        raise click.UsageError("Nothing to change; see `connections update --help`.")
    try:
        connection_rules.update_connection(name, **given)
    except connection_rules.InvalidSetting as error:
        raise _fail_on(error) from None
    click.echo("Updated connection:")
    _echo_connection(connection_as_dict(name))


# Users


def user_as_dict(user: User) -> dict[str, Any]:
    return {
        "sub": user.sub,
        "identities": [
            {"connection": i.connection, "value": i.value, "verified": i.verified}
            for i in user.identities
        ],
        "blocked": user.blocked,
        "created": _when(user.created_at),
        "last_login": _when(user.last_login_at),
    }


def _echo_user_line(data: dict[str, Any]) -> None:
    identities = ", ".join(i["value"] for i in data["identities"]) or "-"
    status = "BLOCKED" if data["blocked"] else "active"
    click.echo(
        f"{data['sub']}  {status:<7}  {identities}  created {data['created']}"
        f"  last login {data['last_login'] or 'never'}"
    )


@users_cli.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
def list_users_command(as_json: bool) -> None:
    """List users: sub, identities, blocked, created, last login."""
    found = [user_as_dict(u) for u in db.session.query(User).order_by(User.id)]
    if as_json:
        _echo_json(found)
        return
    if not found:
        click.echo("No users yet.")
    for data in found:
        _echo_user_line(data)


@users_cli.command("show")
@click.argument("key")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def show_user_command(key: str, as_json: bool) -> None:
    """Show a user found by sub, email address or phone number."""
    data = user_as_dict(_user_or_fail(key))
    if as_json:
        _echo_json(data)
        return
    click.echo(f"sub:          {data['sub']}")
    click.echo(f"status:       {'BLOCKED' if data['blocked'] else 'active'}")
    for identity in data["identities"]:
        verified = "verified" if identity["verified"] else "unverified"
        click.echo(f"identity:     {identity['connection']} {identity['value']} ({verified})")
    click.echo(f"created:      {data['created']}")
    click.echo(f"last login:   {data['last_login'] or 'never'}")


def _set_blocked(key: str, blocked: bool) -> None:
    user = _user_or_fail(key)
    action = "blocked" if blocked else "unblocked"
    events.record(f"admin.user_{action}", user_id=user.id)
    users.set_blocked(user, blocked)
    click.echo(f"User {user.sub} is {action}.")


@users_cli.command("block")
@click.argument("key")
def block_user_command(key: str) -> None:
    """Block a user: no message and no login from now on."""
    _set_blocked(key, True)


@users_cli.command("unblock")
@click.argument("key")
def unblock_user_command(key: str) -> None:
    """Unblock a user."""
    _set_blocked(key, False)


# Signing keys


@keys_cli.command("rotate")
def rotate_keys_command() -> None:
    """Add a new signing key; older keys stay published in the JWKS."""
    key = signing_keys.rotate()
    events.record("admin.key_rotated", kid=key.kid)
    db.session.commit()
    click.echo(key.kid)


@keys_cli.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
def list_keys_command(as_json: bool) -> None:
    """List signing keys, newest first: current, published or retired."""
    found = db.session.query(SigningKey).order_by(SigningKey.id.desc()).all()
    current = next((k for k in found if k.retired_at is None), None)
    rows = [
        {
            "kid": key.kid,
            "status": _key_status(key, current),
            "created": _when(key.created_at),
            "retired": _when(key.retired_at),
        }
        for key in found
    ]
    if as_json:
        _echo_json(rows)
        return
    if not rows:
        click.echo("No signing keys yet; one is created on first use (or run `keys rotate`).")
    for row in rows:
        click.echo(f"{row['kid']}  {row['status']:<9}  created {row['created']}")


def _key_status(key: SigningKey, current: SigningKey | None) -> str:
    if key.retired_at is not None:
        return "retired"
    return "current" if key is current else "published"


# Demo


@demo_cli.command("setup")
def demo_setup_command() -> None:
    """Register (or refresh) the demo relying app used by `make run`."""
    from . import demo

    client, created = demo.ensure_demo_client()
    verb = "Registered" if created else "Refreshed"
    click.echo(f"{verb} the demo client {client.name!r} ({client.client_id}).")
    click.echo(f"  callback: {', '.join(client.redirect_uris)}")
