"""`flask keys …`."""

from __future__ import annotations

import click
from cryptography.fernet import Fernet
from flask.cli import AppGroup

from app import at_rest
from app.accounts import events
from app.delivery import outbox
from app.oidc import keys

from ..extensions import db
from ..models import SigningKey
from .common import echo_json, when

group = AppGroup("keys", help="Rotate and list the ID token signing keys.")


@group.command("rotate")
def rotate_keys_command() -> None:
    """Add a new signing key; older keys stay published in the JWKS."""
    key = keys.rotate()
    events.record("admin.key_rotated", kid=key.kid)
    db.session.commit()
    click.echo(key.kid)


@group.command("reencrypt")
def reencrypt_command() -> None:
    """Seal every signing key and unsent copy under the newest FLASK_KEY_ENCRYPTION_KEYS key.

    Rotation: put a new key first in FLASK_KEY_ENCRYPTION_KEYS (keep the old one
    after it), restart, run this, then drop the old key.
    """
    try:
        signing = keys.reencrypt()
        messages = outbox.reencrypt()
    except at_rest.SealError as error:
        db.session.rollback()
        raise click.ClickException(f"{error}; nothing was changed.") from None
    events.record("admin.keys_reencrypted", signing_keys=signing, messages=messages)
    db.session.commit()
    click.echo(f"Sealed {signing} signing keys and {messages} messages under the newest key.")


@group.command("new-encryption-key")
def new_encryption_key_command() -> None:
    """Print a new random key for FLASK_KEY_ENCRYPTION_KEYS (a Fernet key)."""
    click.echo(Fernet.generate_key().decode())


@group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
def list_keys_command(as_json: bool) -> None:
    """List signing keys, newest first: current, published or retired."""
    found = db.session.query(SigningKey).order_by(SigningKey.id.desc()).all()
    current = next((k for k in found if k.retired_at is None), None)
    rows = [
        {
            "kid": key.kid,
            "status": _key_status(key, current),
            "created": when(key.created_at),
            "retired": when(key.retired_at),
        }
        for key in found
    ]
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo("No signing keys yet; one is created on first use (or run `keys rotate`).")
    for row in rows:
        click.echo(f"{row['kid']}  {row['status']:<9}  created {row['created']}")


def _key_status(key: SigningKey, current: SigningKey | None) -> str:
    if key.retired_at is not None:
        return "retired"
    return "current" if key is current else "published"
