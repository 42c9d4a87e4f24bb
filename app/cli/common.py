"""Helpers shared by the command groups: JSON output, lookups that fail clearly."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import click

from app.accounts import clients as client_rules
from app.accounts import users

from ..models import Client, User


def echo_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2))


def when(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") + "Z" if moment else None


def split_connections(value: str | None) -> list[str] | None:
    if value is None:
        return None
    return [name.strip() for name in value.split(",") if name.strip()]


def client_or_fail(client_id: str) -> Client:
    client = client_rules.find_client(client_id)
    if client is None:
        raise click.ClickException(f"No client with client_id {client_id!r}.")
    return client


def user_or_fail(key: str) -> User:
    user = users.find_by_sub_or_identity(key)
    if user is None:
        raise click.ClickException(f"No user with sub, email or phone {key!r}.")
    return user


def fail_on(error: ValueError) -> click.ClickException:
    return click.ClickException(str(error))
