"""`flask clients …`."""

from __future__ import annotations

from typing import Any

import click
from flask.cli import AppGroup

from app.accounts import clients as client_rules
from app.accounts import logos

from ..models import CLIENT_TYPES, Client
from .common import client_or_fail, echo_json, fail_on, split_connections, when

group = AppGroup("clients", help="Register and manage relying apps.")


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
        "initiate_login_uri": client.initiate_login_uri,
        "cross_origin_loc": client.cross_origin_loc,
        "logo_url": client.logo_url,
        "primary_color": client.primary_color,
        "background_color": client.background_color,
        "theme": client.theme,
        "default_language": client.default_language,
        "created": when(client.created_at),
    } | ({"scopes": list(client.scopes or [])} if client.is_management else {})


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
    if "scopes" in data:
        click.echo(f"  scopes:       {' '.join(data['scopes']) or '-'}")
    click.echo(f"  initiate URL: {data['initiate_login_uri'] or '-'}")
    click.echo(f"  co verify:    {data['cross_origin_loc'] or '-'}")
    for label, key in (
        ("logo URL", "logo_url"),
        ("primary", "primary_color"),
        ("background", "background_color"),
        ("theme", "theme"),
        ("language", "default_language"),
    ):
        click.echo(f"  {label + ':':<13} {data[key] or '-'}")
    click.echo(f"  created:      {data['created']}")


def _echo_secret(secret: str) -> None:
    click.echo(f"  client_secret: {secret}")
    click.secho(
        "Copy the client secret now: it is stored hashed and cannot be shown again.",
        fg="yellow",
    )


@group.command("create")
@click.option("--name", required=True, help="The app's name, shown on the login page.")
@click.option(
    "--callback",
    "callbacks",
    multiple=True,
    help="A callback URL (repeatable; required except for --type m2m).",
)
@click.option("--origin", "origins", multiple=True, help="A web origin for CORS (repeatable).")
@click.option("--logout-url", "logout_urls", multiple=True, help="A logout URL (repeatable).")
@click.option(
    "--type", "client_type", type=click.Choice(CLIENT_TYPES), default="regular", show_default=True
)
@click.option(
    "--connections", default="email", show_default=True, help="Comma-separated: email,sms."
)
@click.option(
    "--initiate-login-uri",
    help="Where a magic link opened on another device sends the browser (OIDC "
    "initiate_login_uri); lets that device sign in.",
)
@click.option(
    "--scopes",
    default="",
    help='Management API scopes of an m2m client, space-separated: "read:users update:users".',
)
@click.option(
    "--cross-origin-loc",
    help="The app's cross-origin verification page (auth0.js crossOriginVerification), "
    "at one of its web origins; for embedded sign-in without third-party cookies.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the new client as one JSON object.")
def create_client_command(
    name: str,
    callbacks: tuple[str, ...],
    origins: tuple[str, ...],
    logout_urls: tuple[str, ...],
    client_type: str,
    connections: str,
    initiate_login_uri: str | None,
    scopes: str,
    cross_origin_loc: str | None,
    as_json: bool,
) -> None:
    """Register a relying app, or (--type m2m) a management client of the Management API.
    A regular or m2m client's secret is shown once."""
    if not callbacks and client_type != "m2m":
        raise click.UsageError("Missing option '--callback' (only an m2m client has none).")
    try:
        client, secret = client_rules.create_client(
            name,
            callbacks,
            client_type=client_type,
            origins=origins,
            logout_urls=logout_urls,
            connections=split_connections(connections) or [],
            initiate_login_uri=initiate_login_uri,
            scopes=scopes.replace(",", " ").split(),
            cross_origin_loc=cross_origin_loc,
        )
    except client_rules.InvalidClient as error:
        raise fail_on(error) from None
    if as_json:
        echo_json(_with_secret(client, secret))
        return
    click.echo("Created client:")
    _echo_client(client)
    if secret:
        _echo_secret(secret)


@group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
def list_clients_command(as_json: bool) -> None:
    """List the registered clients (never their secrets)."""
    found = client_rules.all_clients()
    if as_json:
        echo_json([client_as_dict(c) for c in found])
        return
    if not found:
        click.echo("No clients yet. Add one with: flask --app wsgi clients create --help")
        return
    for client in found:
        first = client.redirect_uris[0] if client.redirect_uris else "-"
        more = f" (+{len(client.redirect_uris) - 1})" if len(client.redirect_uris) > 1 else ""
        click.echo(f"{client.client_id}  {client.client_type:<7}  {client.name}  {first}{more}")


@group.command("show")
@click.argument("client_id")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def show_client_command(client_id: str, as_json: bool) -> None:
    """Show one client's settings (never its secret)."""
    client = client_or_fail(client_id)
    if as_json:
        echo_json(client_as_dict(client))
    else:
        _echo_client(client)


@group.command("update")
@click.argument("client_id")
@click.option("--name", help="A new name.")
@click.option("--callback", "callbacks", multiple=True, help="Replaces all callback URLs.")
@click.option("--origin", "origins", multiple=True, help="Replaces all web origins.")
@click.option("--clear-origins", is_flag=True, help="Remove all web origins.")
@click.option("--logout-url", "logout_urls", multiple=True, help="Replaces all logout URLs.")
@click.option("--clear-logout-urls", is_flag=True, help="Remove all logout URLs.")
@click.option("--connections", help="Comma-separated: email,sms.")
@click.option(
    "--initiate-login-uri",
    help="Where a magic link opened on another device sends the browser (OIDC "
    "initiate_login_uri); lets that device sign in.",
)
@click.option("--clear-initiate-login-uri", is_flag=True, help="Remove the initiate-login URL.")
@click.option(
    "--cross-origin-loc",
    help="The app's cross-origin verification page (auth0.js crossOriginVerification), "
    "at one of its web origins ('' removes it).",
)
@click.option(
    "--logo-url",
    help="https URL of the logo, fetched once and served by Latchkey ('' removes it).",
)
@click.option("--primary-color", help="Buttons and links, #rrggbb ('' for the theme's).")
@click.option("--background-color", help="Page background, #rrggbb ('' for the theme's).")
@click.option("--theme", help="An installed theme (see `themes list`; '' for the default).")
@click.option("--language", "default_language", help="Default page language, e.g. pt-BR.")
@click.option(
    "--scopes", help='An m2m client\'s Management API scopes, replacing all ("" removes them).'
)
@click.option("--rotate-secret", is_flag=True, help="Issue a new secret (regular and m2m clients).")
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
    initiate_login_uri: str | None,
    clear_initiate_login_uri: bool,
    cross_origin_loc: str | None,
    logo_url: str | None,
    primary_color: str | None,
    background_color: str | None,
    theme: str | None,
    default_language: str | None,
    scopes: str | None,
    rotate_secret: bool,
    as_json: bool,
) -> None:
    """Change a client, its branding included. Repeated options replace the whole list."""
    if origins and clear_origins:
        raise click.UsageError("Give --origin or --clear-origins, not both.")
    if logout_urls and clear_logout_urls:
        raise click.UsageError("Give --logout-url or --clear-logout-urls, not both.")
    if initiate_login_uri and clear_initiate_login_uri:
        raise click.UsageError("Give --initiate-login-uri or --clear-initiate-login-uri, not both.")
    changes = _client_changes(
        name=name,
        callbacks=callbacks,
        origins=[] if clear_origins else origins,
        logout_urls=[] if clear_logout_urls else logout_urls,
        connections=split_connections(connections),
        initiate_login_uri="" if clear_initiate_login_uri else initiate_login_uri,
        cross_origin_loc=cross_origin_loc,
        logo_url=logo_url,
        primary_color=primary_color,
        background_color=background_color,
        theme=theme,
        default_language=default_language,
        scopes=None if scopes is None else scopes.replace(",", " ").split(),
    )
    if not changes and not rotate_secret:
        raise click.UsageError("Nothing to change; see `clients update --help`.")
    client = client_or_fail(client_id)
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
        raise fail_on(error) from None
    if logo_url is not None:
        _fetch_logo(client)
    if as_json:
        echo_json(_with_secret(client, secret) if secret else client_as_dict(client))
        return
    click.echo("Updated client:")
    _echo_client(client)
    if secret:
        _echo_secret(secret)


def _fetch_logo(client: Client) -> None:
    """Fetch and keep the new logo; pages and emails load it from Latchkey."""
    problem = logos.cache(client)
    if problem:
        click.secho(
            f"Warning: {problem}; pages and emails show no logo until it is set again.",
            fg="yellow",
            err=True,
        )


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


@group.command("delete")
@click.argument("client_id")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def delete_client_command(client_id: str, yes: bool) -> None:
    """Delete a client with its pending tickets, codes and tokens."""
    client = client_or_fail(client_id)
    if not yes:
        click.confirm(f"Delete client {client.name!r} ({client.client_id})?", abort=True)
    name = client.name
    client_rules.delete_client(client)
    click.echo(f"Deleted client {name!r} ({client_id}).")
