"""The migrations build the schema the models describe."""

from __future__ import annotations

import databases
import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

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
