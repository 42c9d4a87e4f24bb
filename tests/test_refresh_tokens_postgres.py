"""The refresh-token migration and rotation on the PostgreSQL of this machine.

Each test makes its own database (dropped at the end), so parallel runs never meet.
Without a reachable PostgreSQL the tests skip with the reason, except under
CI=true, where they fail.
"""

from __future__ import annotations

import os
import secrets

import pytest
from flask_migrate import downgrade, upgrade
from helpers import RelyingApp
from test_refresh_tokens import EMAIL, refresh, tokens_for
from test_tokens import assert_oauth_error

from app import create_app
from app.extensions import db
from app.models import AccessToken, RefreshToken

SERVER = os.environ.get("LATCHKEY_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
BEFORE_REFRESH_TOKENS = "b7c31d2e9a40"


def _admin_connection():
    import psycopg

    try:
        return psycopg.connect(SERVER, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as error:
        reason = f"PostgreSQL is not reachable at {SERVER}: {error}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true requires the PostgreSQL tests: {reason}")
        pytest.skip(reason)


@pytest.fixture
def postgres_uri():
    """A fresh, empty database; its SQLAlchemy URI."""
    name = f"latchkey_refresh_{secrets.token_hex(6)}"
    with _admin_connection() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = SERVER.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    yield f"{base}/{name}"
    with _admin_connection() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def pg_app(postgres_uri):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret-key-not-for-production",
            "ISSUER": "https://latchkey.test",
            "SQLALCHEMY_DATABASE_URI": postgres_uri,
            "EMAIL_PROVIDER": "dev",
            "DEV_OUTBOX": True,
            "DISPATCHER_THREAD": False,
            "RATELIMIT_ENABLED": False,
        }
    )
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_the_migration_matches_the_models_and_goes_down_and_up(pg_app):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with pg_app.app_context():
        with db.engine.connect() as connection:
            assert compare_metadata(MigrationContext.configure(connection), db.metadata) == []
        downgrade(revision=BEFORE_REFRESH_TOKENS)
        with db.engine.connect() as connection:
            assert not db.engine.dialect.has_table(connection, "refresh_tokens")
        upgrade()
        with db.engine.connect() as connection:
            assert db.engine.dialect.has_table(connection, "refresh_tokens")


def test_rotation_and_reuse_on_postgresql(pg_app):
    client, shop = pg_app.test_client(), RelyingApp.register(pg_app)
    first = tokens_for(client, shop)
    second = refresh(client, shop, first["refresh_token"])
    assert second.status_code == 200, second.get_json()

    replay = refresh(client, shop, first["refresh_token"])

    assert_oauth_error(replay, "invalid_grant")
    assert_oauth_error(refresh(client, shop, second.get_json()["refresh_token"]), "invalid_grant")
    with pg_app.app_context():
        assert db.session.query(RefreshToken).filter(RefreshToken.revoked_at.is_(None)).count() == 0
        live = db.session.query(AccessToken).filter(AccessToken.revoked_at.is_(None)).count()
        assert live == 0
        assert db.session.query(RefreshToken).first().user.identities[0].value == EMAIL


def test_parallel_uses_of_one_refresh_token_leave_nothing_alive(pg_app):
    """Four processes' worth of requests race with the same token: at most one wins,
    and because the others count as reuse, the winner's new token dies too."""
    import threading

    shop = RelyingApp.register(pg_app)
    token = tokens_for(pg_app.test_client(), shop)["refresh_token"]
    barrier = threading.Barrier(4)
    answers: list = []

    def use() -> None:
        http = pg_app.test_client()
        barrier.wait()
        answers.append(refresh(http, shop, token))

    threads = [threading.Thread(target=use) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    statuses = sorted(answer.status_code for answer in answers)
    assert statuses in ([200, 400, 400, 400], [400, 400, 400, 400]), statuses
    for answer in answers:
        if answer.status_code == 200:
            winner = answer.get_json()["refresh_token"]
            assert_oauth_error(refresh(pg_app.test_client(), shop, winner), "invalid_grant")
    with pg_app.app_context():
        assert db.session.query(RefreshToken).filter(RefreshToken.revoked_at.is_(None)).count() == 0
