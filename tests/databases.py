"""Which database the tests run on: SQLite files (default) or PostgreSQL.

`LATCHKEY_TEST_DATABASE=postgresql` runs the suite on PostgreSQL. The session
creates its own database (a random name) on the server named by
`LATCHKEY_TEST_POSTGRES` (default: postgresql://postgres@127.0.0.1:5432/test), builds
the tables once, and drops the database at the end, so several runs on one server
never see each other. Each test starts from empty tables (TRUNCATE), the way each
test on SQLite starts from a new file.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

KIND = os.environ.get("LATCHKEY_TEST_DATABASE", "sqlite").strip().lower() or "sqlite"
ADMIN_URL = os.environ.get("LATCHKEY_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
if KIND not in ("sqlite", "postgresql"):
    raise SystemExit(f"LATCHKEY_TEST_DATABASE must be sqlite or postgresql, not {KIND!r}")


class _Server:
    """The PostgreSQL database of this test session, once created."""

    name: str | None = None
    url: str | None = None
    emptied_for: set[str] = set()


def on_postgresql() -> bool:
    return KIND == "postgresql"


def admin_connection():
    """An autocommit psycopg connection to the admin database (create, drop, kill)."""
    import psycopg

    return psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=5)


def sqlalchemy_url(database: str) -> str:
    """The psycopg 3 SQLAlchemy URL of `database` on the admin server."""
    from sqlalchemy.engine import make_url

    url = make_url(ADMIN_URL).set(drivername="postgresql+psycopg", database=database)
    return url.render_as_string(hide_password=False)


def create_database(prefix: str = "latchkey_test") -> str:
    """Create an empty database with a unique name; returns the name."""
    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(4)}"
    with admin_connection() as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return name


def drop_database(name: str) -> None:
    with admin_connection() as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def start_session() -> None:
    """Create this session's database and its tables (PostgreSQL runs only)."""
    if not on_postgresql():
        return
    from sqlalchemy import create_engine

    from app import models  # noqa: F401  (registers the tables)
    from app.extensions import db

    _Server.name = create_database()
    _Server.url = sqlalchemy_url(_Server.name)
    engine = create_engine(_Server.url)
    db.metadata.create_all(engine)
    engine.dispose()


def end_session() -> None:
    if _Server.name is not None:
        drop_database(_Server.name)
        _Server.name = _Server.url = None


def uri_for(tmp_path: Path, name: str) -> str:
    """The database URI for an app of the test that owns `tmp_path`.

    SQLite: a new file per app. PostgreSQL: the session database, emptied once per
    test (the first app a test builds finds empty tables; later ones share them).
    """
    if not on_postgresql():
        return f"sqlite:///{tmp_path / name}"
    assert _Server.url is not None, "the PostgreSQL test database was not created"
    if str(tmp_path) not in _Server.emptied_for:
        _Server.emptied_for.add(str(tmp_path))
        empty_tables()
    return _Server.url


def empty_tables() -> None:
    from sqlalchemy import create_engine, text

    from app.extensions import db

    tables = ", ".join(f'"{table.name}"' for table in db.metadata.sorted_tables)
    engine = create_engine(_Server.url)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()
