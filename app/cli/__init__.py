"""Operator commands: `flask --app wsgi clients|connections|users|keys|events|templates|…`.

Each command reads its options, calls one domain function and prints the outcome.
Bad values end in a one-line error and a non-zero exit, never a traceback.
"""

from __future__ import annotations

from flask import Flask

from . import (
    admins,
    clients,
    connections,
    demo,
    dispatchers,
    events,
    keys,
    outbox,
    sms,
    templates,
    themes,
    users,
)

GROUPS = (admins, clients, connections, users, keys, events, templates, themes, demo, sms, outbox)


def init_app(app: Flask) -> None:
    """Register the command groups with the app's `flask` command."""
    for module in GROUPS:
        app.cli.add_command(module.group)
    app.cli.add_command(outbox.purge_all_command)
    dispatchers.register(app.cli)
