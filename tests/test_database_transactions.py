"""PostgreSQL transactions as app/database.py opens them: none for a unit of work that
only reads (no BEGIN and no ROLLBACK round trip), one from the first statement that
writes or locks to the commit, with the same guarantees as before: a rollback undoes
every write, a row lock is held to the commit, a NOTIFY is heard only at the commit.

PostgreSQL only: each test makes its own database, in the SQLite pass too (as
test_statement_counts.py's ping test does)."""

from __future__ import annotations

import databases
import psycopg
import pytest
from conftest import BASE_CONFIG
from live_server import release
from psycopg.pq import TransactionStatus
from sqlalchemy import func, select, text

from app import create_app
from app.extensions import db
from app.models import Event


@pytest.fixture
def postgresql_app():
    name = databases.create_database("latchkey_txn")
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": databases.sqlalchemy_url(name)})
    with app.app_context():
        db.create_all()
    try:
        yield app, name
    finally:
        release(app)
        databases.drop_database(name)


def _status() -> TransactionStatus:
    """The server-side transaction state of the session's connection."""
    return db.session.connection().connection.driver_connection.info.transaction_status


def _other_connection(name: str) -> psycopg.Connection:
    url = databases.sqlalchemy_url(name).replace("postgresql+psycopg://", "postgresql://")
    return psycopg.connect(url, autocommit=True, connect_timeout=5)


def test_reads_open_no_transaction_and_the_first_write_opens_one(postgresql_app):
    app, _ = postgresql_app
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Event)) == 0
        assert _status() == TransactionStatus.IDLE  # nothing to end: no ROLLBACK either
        db.session.add(Event(type="first"))
        db.session.flush()
        assert _status() == TransactionStatus.INTRANS
        db.session.add(Event(type="second"))
        db.session.flush()
        assert db.session.scalar(select(func.count()).select_from(Event)) == 2  # own writes
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(Event)) == 0  # both undone

        db.session.add_all([Event(type="third"), Event(type="fourth")])
        db.session.commit()
        assert _status() == TransactionStatus.IDLE
        assert db.session.scalar(select(func.count()).select_from(Event)) == 2


def test_a_row_lock_and_a_notify_belong_to_the_transaction(postgresql_app):
    app, name = postgresql_app
    with app.app_context():
        db.session.add(Event(type="locked"))
        db.session.commit()
        with _other_connection(name) as other:
            other.execute("LISTEN latchkey_test")
            row = db.session.execute(select(Event).with_for_update()).scalar_one()
            assert _status() == TransactionStatus.INTRANS
            with pytest.raises(psycopg.errors.LockNotAvailable):
                other.execute("SELECT id FROM events WHERE id = %s FOR UPDATE NOWAIT", (row.id,))
            db.session.execute(text("NOTIFY latchkey_test"))
            assert list(other.notifies(timeout=0.2)) == []  # not before the commit
            db.session.commit()
            assert [n.channel for n in other.notifies(timeout=2, stop_after=1)] == ["latchkey_test"]
            other.execute("SELECT id FROM events WHERE id = %s FOR UPDATE NOWAIT", (row.id,))


def test_alembics_autocommit_block_still_runs_outside_a_transaction(postgresql_app):
    """SQLAlchemy's AUTOCOMMIT isolation (Alembic's autocommit_block, for CREATE INDEX
    CONCURRENTLY) gets no BEGIN from app/database.py."""
    app, _ = postgresql_app
    with app.app_context():
        with db.engine.connect() as conn:
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            conn.execute(text("CREATE INDEX CONCURRENTLY ix_test_events_type ON events (type)"))
        with db.engine.connect() as conn:
            names = conn.scalars(text("SELECT indexname FROM pg_indexes"))
            assert "ix_test_events_type" in set(names)


def test_a_connection_returned_mid_transaction_is_rolled_back(postgresql_app):
    """The pool rolls back what a user of a raw connection left open (an error path, a
    forgotten commit) before anyone else gets the connection."""
    app, _ = postgresql_app
    with app.app_context():
        pooled = db.engine.raw_connection()
        raw = pooled.driver_connection
        with pooled.cursor() as cursor:
            cursor.execute("BEGIN")
            cursor.execute(
                "INSERT INTO events (type, created_at, detail) VALUES ('x', now(), '{}')"
            )
        assert raw.info.transaction_status == TransactionStatus.INTRANS
        pooled.close()  # back to the pool
        assert raw.info.transaction_status == TransactionStatus.IDLE
        with db.engine.connect() as conn:
            assert conn.connection.driver_connection is raw  # the same pooled connection
            assert conn.scalar(select(func.count()).select_from(Event)) == 0
