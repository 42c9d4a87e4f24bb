"""Latchkey as separate processes, the way an operator runs it on PostgreSQL and Redis.

`pg_database` (fixture) is a database of the test's own on the local PostgreSQL,
with the schema built by the migrations, dropped afterwards. `AppProcess` runs
`flask run` on a port; `DispatcherProcess` runs `flask outbox work`; both take
their configuration from FLASK_* variables, as in production. `HoldingSmtpSink`
is the test SMTP server that can keep its RCPT replies on hold (a slow relay).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import databases
import requests
from cryptography.fernet import Fernet
from smtp_server import SmtpSink, _RecordingHandler, free_port

ROOT = Path(__file__).resolve().parent.parent
# One Fernet key for every process of a test run (and the test's own app).
KEY_ENCRYPTION_KEY = Fernet.generate_key().decode()


def migrated_database() -> tuple[str, str]:
    """(name, SQLAlchemy URL) of a new PostgreSQL database, migrated to head by
    `flask db upgrade`; the caller drops it (databases.drop_database)."""
    name = databases.create_database("latchkey_proc")
    url = databases.sqlalchemy_url(name)
    migrated = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"],
        cwd=ROOT,
        env=latchkey_env(url, issuer="http://127.0.0.1"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    if migrated.returncode != 0:
        databases.drop_database(name)
        raise AssertionError(migrated.stderr[-2000:])
    return name, url


def latchkey_env(database_url: str, issuer: str, **settings: object) -> dict[str, str]:
    """The environment of a Latchkey process: FLASK_* settings, nothing from the test's."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("FLASK_")}
    base = {
        "SECRET_KEY": "processes-test-secret-key-not-for-production",
        "ISSUER": issuer,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "EMAIL_PROVIDER": "dev",
        "BINDING_COOKIE_SECURE": "false",
        "DISPATCH_POLL_SECONDS": "0.2",
        "KEY_ENCRYPTION_KEYS": KEY_ENCRYPTION_KEY,
    }
    # from_prefixed_env reads JSON: true/false, numbers; anything else stays a string.
    base.update({key: _as_env(value) for key, value in settings.items()})
    env.update({f"FLASK_{key}": value for key, value in base.items()})
    return env


def _as_env(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value)


class _Process:
    """A child process whose output goes to a log file in the test's tmp_path."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        self._out = open(log, "wb")  # noqa: SIM115  (closed in stop)
        self.popen = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", *args],
            cwd=ROOT,
            env=env,
            stdout=self._out,
            stderr=subprocess.STDOUT,
        )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL: no cleanup, no goodbye, like a crashed host."""
        self.popen.send_signal(signal.SIGKILL)
        self.popen.wait(timeout=10)

    def terminate(self, timeout: float = 30) -> int:
        """SIGTERM, then wait for the process to exit; its exit code."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
        try:
            return self.popen.wait(timeout=timeout)
        finally:
            self._out.close()

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait(timeout=10)
        self._out.close()


class AppProcess(_Process):
    """`flask run` (threaded werkzeug) on a free loopback port."""

    def __init__(self, env: dict[str, str], log: Path, port: int) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        args = ["run", "--host", "127.0.0.1", "--port", str(port), "--no-reload", "--no-debugger"]
        super().__init__(args, env, log)
        self._wait_until_serving()

    def _wait_until_serving(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.popen.poll() is None, f"the app process ended:\n{self.output()}"
            try:
                requests.get(self.url + "/.well-known/openid-configuration", timeout=2)
                return
            except requests.ConnectionError:
                time.sleep(0.1)
        raise AssertionError(f"the app process did not answer:\n{self.output()}")


class DispatcherProcess(_Process):
    """`flask outbox work --threads N`."""

    def __init__(self, env: dict[str, str], log: Path, threads: int = 2) -> None:
        super().__init__(["outbox", "work", "--threads", str(threads)], env, log)
        deadline = time.monotonic() + 30
        while "Dispatching with" not in self.output():
            assert self.popen.poll() is None, f"the dispatcher ended:\n{self.output()}"
            assert time.monotonic() < deadline, f"the dispatcher did not start:\n{self.output()}"
            time.sleep(0.05)


def app_processes(count: int, env_for, tmp_path: Path) -> list[AppProcess]:
    ports = [free_port() for _ in range(count)]
    return [AppProcess(env_for(port), tmp_path / f"app-{port}.log", port) for port in ports]


class _HoldingHandler(_RecordingHandler):
    def __init__(self) -> None:
        super().__init__()
        self.hold = threading.Event()
        self.hold_only: set[str] = set()  # empty: every recipient is held
        self.held = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if self.hold.is_set() and (not self.hold_only or address in self.hold_only):
            self.held += 1
            while self.hold.is_set():
                await asyncio.sleep(0.02)
        return await super().handle_RCPT(server, session, envelope, address, rcpt_options)


class HoldingSmtpSink(SmtpSink):
    """The test SMTP server; while `hold` is set it answers no RCPT TO (a stuck relay),
    so a dispatcher killed meanwhile has delivered nothing."""

    def __init__(self) -> None:
        super().__init__()
        self.handler = _HoldingHandler()
        self.controller.handler = self.handler

    @property
    def hold(self) -> threading.Event:
        return self.handler.hold

    def hold_only(self, *addresses: str) -> None:
        """Hold only the replies to these recipients (a slow domain)."""
        self.handler.hold_only = set(addresses)
        self.handler.hold.set()

    @property
    def held(self) -> int:
        return self.handler.held

    def received_per_recipient(self) -> Counter:
        return Counter(rcpt for envelope in self.envelopes for rcpt in envelope.rcpt_tos)


def wait_for(condition, timeout: float, what: str, every: float = 0.1):
    """Poll until `condition()` is truthy; its value."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(every)
