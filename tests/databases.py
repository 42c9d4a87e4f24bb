"""Which database the tests run on: SQLite files (default) or PostgreSQL.

`LATCHKEY_TEST_DATABASE=postgresql` runs the suite on PostgreSQL. The session
creates its own databases (random names) on the server named by
`LATCHKEY_TEST_POSTGRES` (default: postgresql://postgres@127.0.0.1:5432/test) and
drops them at the end, so several runs on one server never see each other: a
template with the tables built once, and from it the shared database of the
`make_app` tests, which each start from empty tables (TRUNCATE), the way each test
on SQLite starts from a new file. A live server (which may outlive one test) gets
a database of its own, copied from the template.
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

    template: str | None = None
    name: str | None = None
    url: str | None = None
    emptied_for: set[str] = set()
    created: list[str] = []


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


def create_database(prefix: str = "latchkey_test", template: str | None = None) -> str:
    """Create a database with a unique name (empty, or a copy of `template`)."""
    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(4)}"
    copy = f' TEMPLATE "{template}"' if template else ""
    with admin_connection() as connection:
        connection.execute(f'CREATE DATABASE "{name}"{copy}')
        # Tests need no durability: commits without waiting for the disk (this database only).
        connection.execute(f'ALTER DATABASE "{name}" SET synchronous_commit TO off')
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

    _Server.template = create_database("latchkey_template")
    _Server.created.append(_Server.template)
    engine = create_engine(sqlalchemy_url(_Server.template))
    db.metadata.create_all(engine)
    engine.dispose()
    _Server.name = create_database(template=_Server.template)
    _Server.created.append(_Server.name)
    _Server.url = sqlalchemy_url(_Server.name)


def end_session() -> None:
    for name in reversed(_Server.created):
        drop_database(name)
    _Server.created.clear()
    _Server.template = _Server.name = _Server.url = None


def uri_for(tmp_path: Path, name: str, own: bool = False) -> str:
    """The database URI for an app of the test that owns `tmp_path`.

    SQLite: a new file per app. PostgreSQL: the session database, emptied once per
    test (the first app a test builds finds empty tables; later ones share them);
    with `own`, a new database of its own (live servers, which may serve a module).
    """
    if not on_postgresql():
        return f"sqlite:///{tmp_path / name}"
    assert _Server.url is not None, "the PostgreSQL test database was not created"
    if own:
        database = create_database(template=_Server.template)
        _Server.created.append(database)
        return sqlalchemy_url(database)
    if str(tmp_path) not in _Server.emptied_for:
        _Server.emptied_for.add(str(tmp_path))
        empty_tables()
    return _Server.url


def empty_tables() -> None:
    """Empty every table of the shared database and restart its id sequences, after
    ending the connections earlier tests left behind (an idle transaction could hold
    a row). DELETE, not TRUNCATE: on tables this small it is several times faster."""
    import psycopg

    from app.extensions import db

    with admin_connection() as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()",
            (_Server.name,),
        )
    with psycopg.connect(_Server.url.replace("+psycopg", "")) as connection:
        for table in reversed(db.metadata.sorted_tables):
            connection.execute(f'DELETE FROM "{table.name}"')
        sequences = connection.execute(
            "SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'"
        ).fetchall()
        for (sequence,) in sequences:
            connection.execute(f'ALTER SEQUENCE "{sequence}" RESTART')
