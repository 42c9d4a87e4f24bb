"""Dispatcher threads: a pool of senders per process, woken when messages are queued.

A `Dispatcher` runs `threads` sender threads. Each claims one due message at a
time and sends it, so one slow SMTP reply holds up one thread, not the others.
They sleep until `wake()` (a message was committed in this process), a NOTIFY
from another process (PostgreSQL: app.delivery.notify), or DISPATCH_POLL_SECONDS.
A wake rouses one sleeping thread, not all: a committed message is one claim to
make, and every thread that looks and finds nothing costs a statement and a commit.
`stop(timeout)` is the graceful shutdown: nothing more is claimed, what was
claimed is finished, the threads end.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import Any

from flask import Flask

from ..database import is_postgresql
from ..extensions import db
from . import notify

THREAD_NAME = "latchkey-dispatcher"
PURGE_EVERY_SECONDS = 60.0


class Dispatcher:
    """The sender threads of one app in one process."""

    def __init__(
        self,
        app: Flask,
        send_next: Callable[[], Any],
        housekeeping: Callable[[], None],
        threads: int = 1,
    ) -> None:
        """`send_next()` claims and sends one message: None when nothing was due, else
        a result whose `more_due` says whether another message was due at the claim
        (when not, the thread sleeps until a wake: see `_dispatch_once`);
        `housekeeping()` runs in one thread once a minute. Both run in an app context."""
        self.app = app
        self.send_next = send_next
        self.housekeeping = housekeeping
        self.size = max(1, int(threads))
        self._wakeups = threading.Condition()
        self._pending_wakes = 0  # wakes no thread has answered yet (at most `size`)
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._listener: notify.Listener | None = None
        self._pid: int | None = None
        self._last_purge = 0.0

    @property
    def running(self) -> bool:
        """True when this process's threads are alive (a forked child has none yet)."""
        return self._pid == os.getpid() and any(t.is_alive() for t in self._threads)

    def ensure_started(self) -> None:
        """Start the threads unless they already run in this process."""
        if self.running or self.stopping.is_set():
            return
        with self._lock:
            if self.running or self.stopping.is_set():
                return
            self._pid = os.getpid()
            self._threads = [
                threading.Thread(target=self._run, name=f"{THREAD_NAME}-{n}", daemon=True)
                for n in range(1, self.size + 1)
            ]
            for thread in self._threads:
                thread.start()
            self._listen_for_other_processes()

    def wake(self) -> None:
        """A message was committed: one thread looks for due messages now (the next to
        finish, if all are busy)."""
        with self._wakeups:
            self._pending_wakes = min(self._pending_wakes + 1, self.size)
            self._wakeups.notify()

    def stop(self, timeout: float | None = None) -> bool:
        """Claim nothing more, finish what was claimed, end the threads (waiting up to
        `timeout` seconds in all). True when every thread ended."""
        self.stopping.set()
        with self._wakeups:
            self._wakeups.notify_all()
        if self._listener is not None:
            self._listener.stop()
        deadline = None if timeout is None else time.monotonic() + timeout
        for thread in self._threads:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            thread.join(left)
        return not any(thread.is_alive() for thread in self._threads)

    def run_forever(self) -> None:
        """Start the threads and wait until stop() (`flask outbox work`)."""
        self.ensure_started()
        while not self.stopping.is_set():
            self.stopping.wait(0.5)

    def _listen_for_other_processes(self) -> None:
        with self.app.app_context():
            engine = db.engine
        if is_postgresql(engine):
            self._listener = notify.Listener(engine.url, self.wake)
            self._listener.start()

    def _run(self) -> None:
        poll = float(self.app.config["DISPATCH_POLL_SECONDS"])
        while not self.stopping.is_set():
            self._dispatch_once()
            self._sleep(poll)

    def _sleep(self, poll: float) -> None:
        """Until a wake this thread answers, stop(), or `poll` seconds."""
        with self._wakeups:
            if not self._pending_wakes and not self.stopping.is_set():
                self._wakeups.wait(poll)
            self._pending_wakes = max(self._pending_wakes - 1, 0)

    def _dispatch_once(self) -> None:
        try:
            with self.app.app_context():
                while not self.stopping.is_set():
                    sent = self.send_next()
                    # Nothing else was due at the claim: a message committed since then
                    # woke this pool after that (wake(), or a NOTIFY), and that wake is
                    # kept in _pending_wakes until a thread answers it in _sleep.
                    if sent is None or not sent.more_due:
                        break
                if self._purge_due():
                    self.housekeeping()
        except Exception as exc:  # keep the thread alive; log no secrets
            self.app.logger.error("outbox dispatch failed: %s", type(exc).__name__)
            self.stopping.wait(1.0)  # a database outage: do not spin

    def _purge_due(self) -> bool:
        """One thread of the pool blanks dead tickets' messages, once a minute."""
        with self._lock:
            if time.monotonic() - self._last_purge < PURGE_EVERY_SECONDS:
                return False
            self._last_purge = time.monotonic()
            return True
