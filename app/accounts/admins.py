"""Who may use the operator console, and the console's own registration as an app.

Operators name admins by email address (`flask admins add EMAIL`). A person gets
into the console only by signing in to Latchkey with a code sent to that address
(a verified email identity of theirs); a blocked user never does.

The console is a relying app of Latchkey like any other: a public client
(`latchkey-console`, PKCE) whose only callback is the issuer's /admin/callback.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from app.config import base_url
from app.extensions import db
from app.models import Admin, Client, User
from app.signin.addresses import normalize_email

from . import events

CONSOLE_CLIENT_ID = "latchkey-console"
CONSOLE_NAME = "Latchkey console"
CALLBACK_PATH = "/admin/callback"


class AdminExists(ValueError):
    """The address is already an admin."""


class NotAnAdmin(ValueError):
    """The address is not an admin."""


def add(email: str) -> Admin:
    """Name an admin by email address (normalized); raises InvalidAddress or AdminExists."""
    address = normalize_email(email)
    if _row(address) is not None:
        raise AdminExists(f"{address} is already an admin.")
    admin = Admin(email=address)
    db.session.add(admin)
    events.record("admin.admin_added", recipient=address, by="cli")
    db.session.commit()
    return admin


def remove(email: str) -> None:
    """Take an admin off the list; raises InvalidAddress or NotAnAdmin."""
    address = normalize_email(email)
    row = _row(address)
    if row is None:
        raise NotAnAdmin(f"{address} is not an admin.")
    db.session.delete(row)
    events.record("admin.admin_removed", recipient=address, by="cli")
    db.session.commit()


def all_admins() -> list[Admin]:
    return list(db.session.scalars(select(Admin).order_by(Admin.email)))


def _row(address: str) -> Admin | None:
    return db.session.scalars(select(Admin).filter_by(email=address)).first()


def is_admin(user: User | None) -> bool:
    """Whether a user may use the console: not blocked, and one of their verified
    email addresses is on the admins list."""
    if user is None or user.blocked:
        return False
    emails = [i.value for i in user.identities if i.connection == "email" and i.verified]
    if not emails:
        return False
    return db.session.scalars(select(Admin.id).where(Admin.email.in_(emails))).first() is not None


def console_client() -> Client:
    """The console's client row, created or brought up to date with the issuer."""
    callback = base_url(current_app.config) + CALLBACK_PATH
    client = db.session.scalars(select(Client).filter_by(client_id=CONSOLE_CLIENT_ID)).first()
    if client is None:
        client = Client(client_id=CONSOLE_CLIENT_ID, client_type="spa", name=CONSOLE_NAME)
        client.connections = ["email"]
        db.session.add(client)
    if client.redirect_uris != [callback]:
        client.redirect_uris = [callback]
    db.session.commit()
    return client


def record_action(admin: User, action: str, **detail: object) -> None:
    """An audit event for a change made in the console, naming the operator (the
    domain function that made the change records what changed)."""
    events.record(f"admin.console.{action}", user_id=admin.id, by=admin.sub, **detail)
    db.session.commit()
