"""`flask themes …`: list the installed themes and scaffold a new one."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.look import themes as theme_rules

group = AppGroup("themes", help="List themes and make a new one from an existing theme.")


@group.command("list")
def list_themes_command() -> None:
    """The installed themes with their descriptions."""
    for name in theme_rules.available():
        try:
            theme = theme_rules.load(name)
        except theme_rules.ThemeError as error:
            click.echo(f"{name}  (broken: {error})")
            continue
        click.echo(f"{name}  {theme.description}")


@group.command("new")
@click.argument("name")
@click.option("--from", "source", default="custom", show_default=True, help="Theme to copy.")
def new_theme_command(name: str, source: str) -> None:
    """Copy a theme to themes/NAME/ (stylesheet renamed NAME.css) to make it your own."""
    try:
        path = theme_rules.scaffold(name, source)
    except theme_rules.ThemeError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Created {path}. Edit static/{name}.css and theme.toml, then preview it at")
    click.echo(f"  /preview/themes/{name} (debug server), or give it to an app with")
    click.echo(f"  flask --app wsgi clients update CLIENT_ID --theme {name}")
