"""The database engine: SQLite (the embedded default) or PostgreSQL (psycopg 3).

`configure(app)` runs before Flask-SQLAlchemy builds the engine: it creates a
SQLite file readable by its owner only. `init_app(app)` then sets each new SQLite
connection to WAL mode with synchronous=NORMAL: readers never wait for the writer,
and a commit no longer waits for an fsync of the whole database. On PostgreSQL it
checks a pooled connection that sat idle before use (a restart or a killed backend
costs one failed request per process at most), and opens a transaction only when
one is needed: at the first statement that writes or locks (see _begin_before_write).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from flask import Flask
from sqlalchemy import event, exc
from sqlalchemy.engine import Engine, make_url

from .extensions import db

IDLE = 0  # psycopg.pq.TransactionStatus.IDLE: no transaction open

# How long a SQLite connection waits for another process's write lock (ms).
SQLITE_BUSY_TIMEOUT_MS = 5000
# A PostgreSQL connection idle in the pool this long is pinged before use.
PING_AFTER_IDLE_SECONDS = 1.0
CHECKED_IN_AT = "latchkey.checked_in_at"


def configure(app: Flask) -> None:
    """Engine options for the configured database; call before db.init_app."""
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    # A server's connection may die under the pool (restart, killed backend): init_app
    # pings a PostgreSQL connection that sat idle before handing it out. A SQLite file
    # cannot drop a connection. (A sign-in checks out a connection about 17 times:
    # SQLAlchemy's pool_pre_ping, which pings at every checkout, cost a round trip each.)
    options.setdefault("pool_pre_ping", False)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    path = sqlite_path(app.config["SQLALCHEMY_DATABASE_URI"])
    if path is not None:
        create_private_file(path)


def init_app(app: Flask) -> None:
    """Set the SQLite pragmas on every new connection of this app's engine."""
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    elif is_postgresql(engine):
        event.listen(engine, "connect", _nul_safe_strings)
        if "isolation_level" not in app.config["SQLALCHEMY_ENGINE_OPTIONS"]:
            event.listen(engine, "connect", _autocommit_until_write)
            event.listen(engine, "before_cursor_execute", _begin_before_write)
        if not app.config["SQLALCHEMY_ENGINE_OPTIONS"].get("pool_pre_ping"):
            event.listen(engine.pool, "connect", _note_checkin)  # new: alive
            event.listen(engine.pool, "checkin", _note_checkin)
            event.listen(engine.pool, "checkout", _ping_if_idle)


def _note_checkin(_dbapi_connection, record) -> None:
    if record is not None:
        record.info[CHECKED_IN_AT] = time.monotonic()


def _ping_if_idle(dbapi_connection, record, _proxy) -> None:
    """Before a connection that sat in the pool PING_AFTER_IDLE_SECONDS or more is
    used, check it is alive; a dead one is replaced (SQLAlchemy's DisconnectionError
    makes the pool retry with a new connection). One used a moment ago is not checked:
    if its server went away in that moment, that one request fails cleanly (503) and
    the pool drops every connection older than the failure."""
    checked_in = record.info.get(CHECKED_IN_AT)
    if checked_in is not None and time.monotonic() - checked_in < PING_AFTER_IDLE_SECONDS:
        return
    try:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("SELECT 1")
        finally:
            cursor.close()
        dbapi_connection.rollback()
    except Exception as error:  # the driver's OperationalError, InterfaceError, …
        raise exc.DisconnectionError(type(error).__name__) from error


def _autocommit_until_write(dbapi_connection, _record) -> None:
    """psycopg sends no BEGIN of its own: _begin_before_write sends it when needed."""
    dbapi_connection.autocommit = True


def _begin_before_write(conn, cursor, statement, _parameters, _context, _executemany) -> None:
    """Open the transaction at its first statement that writes or locks.

    Under READ COMMITTED (PostgreSQL's default, kept here) each statement of a
    transaction reads its own snapshot, and a plain SELECT takes no row lock: one run
    before the transaction's first write sees what it would see inside it. So a
    transaction starts (BEGIN) at its first other statement: INSERT, UPDATE, DELETE,
    NOTIFY (delivered at COMMIT), a SAVEPOINT, DDL, or a SELECT … FOR UPDATE / FOR
    SHARE. Everything from there to COMMIT or ROLLBACK is one transaction as before.
    A unit of work that only reads costs no BEGIN and no ROLLBACK round trip, and
    psycopg keeps its prepared statements (a ROLLBACK makes it deallocate them all).
    A SELECT whose function writes or takes a transaction-scoped lock would need a
    transaction opened first; Latchkey has none. With SQLAlchemy's AUTOCOMMIT
    isolation (Alembic's autocommit_block) no BEGIN is sent at all."""
    if statement.startswith("SELECT") and " FOR " not in statement:
        return
    dbapi_connection = cursor.connection
    if (
        dbapi_connection.autocommit
        and dbapi_connection.pgconn.transaction_status == IDLE
        and conn.get_execution_options().get("isolation_level") != "AUTOCOMMIT"
    ):
        cursor.execute("BEGIN", prepare=False)


def is_postgresql(engine: Engine) -> bool:
    """True on PostgreSQL, where claims use row locks (FOR UPDATE SKIP LOCKED)."""
    return engine.dialect.name == "postgresql"


def sqlite_path(uri: str | None) -> Path | None:
    """The file behind a sqlite:/// URI; None for memory or another database."""
    if not uri:
        return None
    url = make_url(uri)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    if url.database.startswith("file:"):
        return None
    return Path(url.database)


def create_private_file(path: Path) -> None:
    """Create the database file 0600 (SQLite gives its -wal and -shm files the same
    mode). A missing folder is left missing: a mistyped path fails as unreachable."""
    if path.exists() or not path.parent.is_dir():
        return
    fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
    os.close(fd)


def _nul_safe_strings(dbapi_connection, _record) -> None:
    """PostgreSQL text cannot hold NUL (0x00), and psycopg refuses such a string: a
    hostile `client_id=%00` would end in an error instead of "not registered". Here a
    NUL is sent as U+FFFD, which matches nothing stored (as on SQLite) and is kept
    as the replacement character where such text is stored (a user agent)."""
    from psycopg.types.string import StrBinaryDumper, StrDumperUnknown

    class NulSafeText(StrDumperUnknown):
        def dump(self, obj: str):
            return super().dump(obj.replace("\x00", "\ufffd"))

    class NulSafeBinaryText(StrBinaryDumper):
        def dump(self, obj: str):
            return super().dump(obj.replace("\x00", "\ufffd"))

    dbapi_connection.adapters.register_dumper(str, NulSafeBinaryText)
    dbapi_connection.adapters.register_dumper(str, NulSafeText)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
    finally:
        cursor.close()
