"""Across processes on PostgreSQL: queued messages announce themselves with NOTIFY.

`announce()` runs in the transaction that queues a message; PostgreSQL delivers the
notification only when that transaction commits, to every dispatcher process that
LISTENs, so a dedicated `flask outbox work` process sends at once instead of at its
next poll. The poll stays as the fallback (a listener that lost its connection).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from sqlalchemy import text
from sqlalchemy.engine import URL

from ..database import is_postgresql
from ..extensions import db

CHANNEL = "latchkey_outbox"
log = logging.getLogger(__name__)


def announce() -> None:
    """NOTIFY the dispatchers when the current transaction commits (PostgreSQL only)."""
    if is_postgresql(db.engine):
        db.session.execute(text(f"NOTIFY {CHANNEL}"))


class Listener:
    """A thread that LISTENs on its own connection and calls `on_notify` for each
    notification; reconnects after a lost connection."""

    def __init__(self, url: URL, on_notify: Callable[[], None]) -> None:
        self.conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
        self.on_notify = on_notify
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name="latchkey-listener", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stopping.set()

    def _run(self) -> None:
        import psycopg

        while not self.stopping.is_set():
            try:
                with psycopg.connect(self.conninfo, autocommit=True, connect_timeout=5) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self.on_notify()  # messages queued while we were not listening
                    while not self.stopping.is_set():
                        for _ in conn.notifies(timeout=1.0):
                            self.on_notify()
            except psycopg.Error as exc:
                if not self.stopping.is_set():
                    log.warning("outbox listener lost its connection: %s", type(exc).__name__)
                self.stopping.wait(1.0)
