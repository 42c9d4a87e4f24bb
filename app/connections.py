"""Connection settings: read with defaults, update with validation."""

from __future__ import annotations

from .extensions import db
from .models import CONNECTIONS, Connection


class UnknownConnection(ValueError):
    """The name is not `email` or `sms`."""


def get_connection(name: str) -> Connection:
    """The connection's settings row, created with defaults on first use."""
    if name not in CONNECTIONS:
        raise UnknownConnection(name)
    connection = db.session.get(Connection, name)
    if connection is None:
        connection = Connection(
            name=name,
            send="code",
            code_length=6,
            ttl_seconds=300,
            max_attempts=3,
            signup_allowed=True,
            allowed_countries=[],
            templates={},
        )
        db.session.add(connection)
        db.session.flush()
    return connection
