"""`flask users …`."""

from __future__ import annotations

from typing import Any

import click
from flask.cli import AppGroup

from app.accounts import events, sessions, users

from ..extensions import db
from ..models import User
from .common import echo_json, user_or_fail, when

group = AppGroup("users", help="List, show, block and unblock users.")


def user_as_dict(user: User) -> dict[str, Any]:
    return {
        "sub": user.sub,
        "identities": [
            {"connection": i.connection, "value": i.value, "verified": i.verified}
            for i in user.identities
        ],
        "blocked": user.blocked,
        "created": when(user.created_at),
        "last_login": when(user.last_login_at),
    }


def _echo_user_line(data: dict[str, Any]) -> None:
    identities = ", ".join(i["value"] for i in data["identities"]) or "-"
    status = "BLOCKED" if data["blocked"] else "active"
    click.echo(
        f"{data['sub']}  {status:<7}  {identities}  created {data['created']}"
        f"  last login {data['last_login'] or 'never'}"
    )


@group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
def list_users_command(as_json: bool) -> None:
    """List users: sub, identities, blocked, created, last login."""
    found = [user_as_dict(u) for u in db.session.query(User).order_by(User.id)]
    if as_json:
        echo_json(found)
        return
    if not found:
        click.echo("No users yet.")
    for data in found:
        _echo_user_line(data)


@group.command("show")
@click.argument("key")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def show_user_command(key: str, as_json: bool) -> None:
    """Show a user found by sub, email address or phone number."""
    data = user_as_dict(user_or_fail(key))
    if as_json:
        echo_json(data)
        return
    click.echo(f"sub:          {data['sub']}")
    click.echo(f"status:       {'BLOCKED' if data['blocked'] else 'active'}")
    for identity in data["identities"]:
        verified = "verified" if identity["verified"] else "unverified"
        click.echo(f"identity:     {identity['connection']} {identity['value']} ({verified})")
    click.echo(f"created:      {data['created']}")
    click.echo(f"last login:   {data['last_login'] or 'never'}")


def _set_blocked(key: str, blocked: bool) -> None:
    user = user_or_fail(key)
    action = "blocked" if blocked else "unblocked"
    events.record(f"admin.user_{action}", user_id=user.id)
    users.set_blocked(user, blocked)
    click.echo(f"User {user.sub} is {action}.")


@group.command("block")
@click.argument("key")
def block_user_command(key: str) -> None:
    """Block a user: no message and no login from now on."""
    _set_blocked(key, True)


@group.command("unblock")
@click.argument("key")
def unblock_user_command(key: str) -> None:
    """Unblock a user."""
    _set_blocked(key, False)


@group.command("sign-out")
@click.argument("key")
def sign_out_user_command(key: str) -> None:
    """Sign a user out everywhere: every browser session ends, and every refresh and
    access token the apps hold stops working."""
    user = user_or_fail(key)
    events.record("admin.user_signed_out", user_id=user.id)
    ended = sessions.end_all_for(user, reason="admin")
    db.session.commit()
    click.echo(f"User {user.sub} is signed out everywhere ({ended} browser sessions ended).")
