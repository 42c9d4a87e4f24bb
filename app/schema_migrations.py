"""Schema migrations (Flask-Migrate, Alembic), imported only when something migrates.

Alembic loads every SQL dialect it knows, Mako and Pygments: about 15 MB in each
process, and a web worker never migrates. So `create_app` binds stand-ins: the `flask
db …` command group and `app.extensions["migrate"]` (what `flask_migrate.upgrade()`
and migrations/env.py read). The first use of either imports Flask-Migrate and binds
it to the app, with the same settings as always.
"""

from __future__ import annotations

import click
from flask import Flask

from . import data_folders
from .extensions import db

COMMAND = "db"


def init_app(app: Flask) -> None:
    """Register `flask db` and app.extensions["migrate"] without importing Alembic."""
    app.extensions["migrate"] = _PendingMigrate(app)
    app.cli.add_command(_DbCommand(COMMAND, help="Perform database migrations."))


def bind(app: Flask):
    """Flask-Migrate bound to `app` (once): its app.extensions["migrate"]."""
    if isinstance(app.extensions.get("migrate"), _PendingMigrate):
        from flask_migrate import Migrate

        migrations = str(data_folders.folder("migrations"))
        Migrate(app, db, directory=migrations, command=COMMAND, render_as_batch=True)
    return app.extensions["migrate"]


class _PendingMigrate:
    """app.extensions["migrate"] until first read: any attribute binds Flask-Migrate."""

    def __init__(self, app: Flask) -> None:
        self._app = app

    def __getattr__(self, name: str):
        return getattr(bind(self._app), name)


class _DbCommand(click.Group):
    """`flask db …`: Flask-Migrate's own command group, imported when it runs (its
    commands read app.extensions["migrate"], which binds Flask-Migrate)."""

    def make_context(self, info_name, args, parent=None, **extra) -> click.Context:
        from flask_migrate.cli import db as flask_migrate_db

        return flask_migrate_db.make_context(info_name, args, parent=parent, **extra)
