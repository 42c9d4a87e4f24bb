"""The migrations build the schema the models describe."""

from __future__ import annotations

import databases
import pytest
from flask_migrate import downgrade, upgrade
from helpers import RelyingApp
from sqlalchemy import inspect, text
from test_refresh_tokens import refresh, tokens_for
from test_tokens import verified

from app import create_app
from app.extensions import db


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request, tmp_path):
    """An empty database of each kind (PostgreSQL: one of this test's own)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.sqlite'}"
        return
    name = databases.create_database("latchkey_migrations")
    yield databases.sqlalchemy_url(name)
    databases.drop_database(name)


def test_upgrade_builds_every_table_and_matches_the_models(empty_database):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "k",
            "ISSUER": "https://latchkey.test",
            "SQLALCHEMY_DATABASE_URI": empty_database,
        }
    )
    with app.app_context():
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert set(db.metadata.tables) <= tables
        assert "alembic_version" in tables

        from alembic.autogenerate import compare_metadata
        from alembic.migration import MigrationContext

        with db.engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), db.metadata)
        assert diff == []

        downgrade(revision="base")  # every migration also goes back …
        assert set(inspect(db.engine).get_table_names()) == {"alembic_version"}
        upgrade()  # … and forward again
        assert set(db.metadata.tables) <= set(inspect(db.engine).get_table_names())
        db.session.remove()
        db.engine.dispose()


BEFORE_SIGN_IN_ON_REFRESH_TOKENS = "a0e1c7d2f9b4"


def test_refresh_tokens_issued_before_the_upgrade_keep_working_without_auth_time(
    empty_database,
):
    """A refresh token stored before its table kept the sign-in (auth_time, amr) lives
    through the upgrade; its refreshed ID token simply lacks those two claims."""
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "k",
            "ISSUER": "https://latchkey.test",
            "SQLALCHEMY_DATABASE_URI": empty_database,
            "EMAIL_PROVIDER": "dev",
            "DEV_OUTBOX": True,
            "DISPATCHER_THREAD": False,
            "RATELIMIT_ENABLED": False,
        }
    )
    with app.app_context():
        upgrade()
    client, spa = app.test_client(), RelyingApp.register(app, "spa")
    first = tokens_for(client, spa)
    with app.app_context():
        downgrade(revision=BEFORE_SIGN_IN_ON_REFRESH_TOKENS)  # as if issued before
        columns = {column["name"] for column in inspect(db.engine).get_columns("refresh_tokens")}
        assert "auth_time" not in columns and "amr" not in columns
        upgrade()
        stored = db.session.execute(text("SELECT auth_time, amr FROM refresh_tokens")).all()
        assert [tuple(row) for row in stored] == [(None, None)]
        db.session.remove()

    response = refresh(client, spa, first["refresh_token"])

    assert response.status_code == 200, response.get_json()
    claims = verified(client, response.get_json()["id_token"]).claims
    assert claims["sub"] == verified(client, first["id_token"]).claims["sub"]
    assert "auth_time" not in claims and "amr" not in claims, sorted(claims)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
