"""`flask templates …`: edit message templates per connection and language, from files."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.messages import overrides as rules

from ..models import CONNECTIONS
from .common import client_or_fail, echo_json

group = AppGroup("templates", help="Edit the messages (Liquid) per connection and language.")

_connection = click.option(
    "--connection",
    type=click.Choice(CONNECTIONS),
    help="Whose template (default: sms for sms_… templates, else email).",
)
_language = click.option(
    "--language",
    "-l",
    default="en",
    show_default=True,
    help=f"One of {', '.join(rules.LANGUAGES)}.",
)
_part = click.option("--part", "-p", help="subject, text or html (sms: text).")


def _rejected(error: rules.TemplateRejected) -> click.ClickException:
    return click.ClickException(str(error))


@group.command("list")
def list_templates_command() -> None:
    """The templates, their parts and the variables they may use."""
    for name, parts in rules.known_templates().items():
        click.echo(f"{name}: {', '.join(parts)}")
    names = []
    for root, keys in rules.VARIABLES.items():
        names += [root] if keys is None else [f"{root}.{key}" for key in keys]
    click.echo(f"variables: {', '.join(names)}")
    click.echo(f"languages: {', '.join(rules.LANGUAGES)}")


@group.command("set")
@click.argument("template")
@click.argument("source_file", type=click.File("r", encoding="utf-8"))
@_part
@_language
@_connection
def set_template_command(
    template: str, source_file, part: str | None, language: str, connection: str | None
) -> None:
    """Use SOURCE_FILE ('-' for stdin) for one part of TEMPLATE in one language.

    The part defaults to the file's name: email_code.subject.liquid sets the subject.
    A syntax error, an unknown variable or an unknown filter is refused with its
    line and column, and nothing is stored.
    """
    part = part or _part_from_name(source_file.name)
    source = source_file.read(rules.SOURCE_MAX + 1)
    try:
        rules.set_template(connection, template, part, language, source)
    except rules.TemplateRejected as error:
        raise _rejected(error) from None
    click.echo(
        f"Set {template}.{part} ({language}) on the "
        f"{connection or rules.connection_for(template)} connection."
    )


def _part_from_name(filename: str) -> str:
    for part in rules.PARTS:
        if f".{part}." in f".{filename.rsplit('/', 1)[-1]}.":
            return part
    raise click.UsageError("Give --part subject|text|html (the file name does not say).")


@group.command("show")
@click.argument("template")
@_part
@_language
@_connection
def show_template_command(template: str, part: str | None, language: str, connection: str | None):
    """Print the source in force for a part (default: every part), and where it comes from."""
    try:
        parts = [part] if part else rules.known_templates().get(template, ("subject",))
        for name in parts:
            found = rules.source_in_force(connection, template, name, language)
            click.secho(f"--- {template}.{name} ({language}) from {found.origin}", fg="cyan")
            click.echo(found.source.rstrip("\n"))
    except rules.TemplateRejected as error:
        raise _rejected(error) from None


@group.command("preview")
@click.argument("template")
@_language
@_connection
@click.option("--client", "client_id", help="Use this client's name, client_id and logo.")
@click.option("--json", "as_json", is_flag=True, help="Print subject, text and html as JSON.")
def preview_template_command(
    template: str, language: str, connection: str | None, client_id: str | None, as_json: bool
) -> None:
    """Render TEMPLATE with sample data (code 428913, alice@example.com)."""
    client = client_or_fail(client_id) if client_id else None
    try:
        message = rules.preview(connection, template, language, client)
    except rules.TemplateRejected as error:
        raise _rejected(error) from None
    if as_json:
        echo_json({"subject": message.subject, "text": message.text, "html": message.html})
        return
    if message.subject:
        click.echo(f"Subject: {message.subject}\n")
    click.echo(message.text)
    if message.html:
        click.secho("--- html", fg="cyan")
        click.echo(message.html)


@group.command("reset")
@click.argument("template")
@_part
@_language
@_connection
def reset_template_command(template: str, part: str | None, language: str, connection: str | None):
    """Remove the connection's override (one part, or all parts): the default file applies."""
    try:
        removed = rules.reset_template(connection, template, language, part)
    except rules.TemplateRejected as error:
        raise _rejected(error) from None
    what = f"{template}.{part}" if part else template
    connection = connection or rules.connection_for(template)
    if removed:
        click.echo(f"Reset {what} ({language}) on the {connection} connection to the default.")
    else:
        click.echo(f"{what} ({language}) had no override on the {connection} connection.")
