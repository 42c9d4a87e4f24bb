"""Benchmark: CPU, SQL statements and commits per sign-in step, in one process.

Run with `make bench` (or `.venv/bin/python bench/cpu_ratio.py [--sign-ins 100]
[--database sqlite|postgresql|both] [--profile]`). Full email-code sign-ins go
through the Flask test client: authorize page → start → (the dispatcher sends the
code) → code page → verify → token. Each step's CPU time (this process's, user +
system: `time.process_time`) is printed as a multiple of one request to a bare
Flask hello view served the same way in the same run, so the figure holds on a
loaded machine where wall-clock rates do not. Statements and commits are counted
with SQLAlchemy events; "uncached" counts statements whose SQL SQLAlchemy compiled
afresh instead of taking from its compiled-statement cache (after a warm-up there
should be none). Limits, CSRF and keyed hashes stay on as in production.
"""

from __future__ import annotations

import argparse
import base64
import cProfile
import hashlib
import os
import pstats
import re
import secrets
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from contextlib import contextmanager, redirect_stdout
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from cryptography.fernet import Fernet
from flask import Flask
from sqlalchemy import event

# Run as a script, Python puts bench/ first on sys.path, and an editable install's
# finder would then import `app` from the checkout it was installed from: this one first.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app  # noqa: E402
from app.accounts.clients import create_client  # noqa: E402
from app.delivery import dispatcher  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import OutboxMessage  # noqa: E402

CALLBACK = "https://bench.example/cb"
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
AUTHZ = re.compile(r'name="authz" type="hidden" value="([^"]+)"')
POSTGRES = os.environ.get("LATCHKEY_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
STEPS = ("authorize page", "start", "send code", "code page", "verify", "token")


class Counts:
    """SQL statements, commits and compiled-cache misses, by the step under way."""

    def __init__(self, engine) -> None:
        self.step = "setup"
        self.statements: Counter[str] = Counter()
        self.commits: Counter[str] = Counter()
        self.uncached: Counter[str] = Counter()
        self.uncached_sql: Counter[str] = Counter()
        event.listen(engine, "after_cursor_execute", self._statement)
        event.listen(engine, "commit", self._commit)

    def _statement(self, conn, cursor, statement, parameters, context, executemany) -> None:
        self.statements[self.step] += 1
        stats = context._get_cache_stats() if context is not None else ""
        if context is not None and context.compiled is not None and "cached" not in stats:
            self.uncached[self.step] += 1
            self.uncached_sql[f"{self.step}: {stats}: {statement[:100]}"] += 1

    def _commit(self, conn) -> None:
        self.commits[self.step] += 1

    def reset(self) -> None:
        for counter in (self.statements, self.commits, self.uncached, self.uncached_sql):
            counter.clear()


def build_app(database_uri: str) -> tuple[Flask, str, str]:
    app = create_app(
        {
            "SECRET_KEY": secrets.token_urlsafe(32),
            "ISSUER": "https://latchkey.bench",
            "SQLALCHEMY_DATABASE_URI": database_uri,
            "KEY_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "EMAIL_PROVIDER": "dev",
            "DISPATCHER_THREAD": False,  # the bench sends in its own "send code" step
            # Limits stay on (memory storage); every request comes from one address.
            "START_RATE_LIMIT": "1000000 per hour",
            "VERIFY_RATE_LIMIT": "1000000 per hour",
            "RECIPIENT_RATE_LIMIT": "1000000 per hour",
        }
    )
    with app.app_context():
        db.create_all()
        client, secret = create_client("Bench", [CALLBACK])
        return app, client.client_id, secret


def hello_app() -> Flask:
    app = Flask("hello")
    app.add_url_rule("/", "hello", lambda: "Hello, World!")
    return app


class Run:
    """Sign-ins against one app, with CPU and counts per step."""

    def __init__(self, app: Flask, client_id: str, secret: str) -> None:
        self.app, self.client_id, self.secret = app, client_id, secret
        with app.app_context():
            self.counts = Counts(db.engine)
        self.cpu: dict[str, list[float]] = defaultdict(list)
        self.number = 0

    @contextmanager
    def step(self, name: str):
        self.counts.step = name
        began = time.process_time()
        yield
        self.cpu[name].append(time.process_time() - began)
        self.counts.step = "between"

    def sign_in(self) -> None:
        self.number += 1
        http = self.app.test_client()
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        params = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": CALLBACK,
            "scope": "openid email",
            "state": secrets.token_urlsafe(8),
            "nonce": secrets.token_urlsafe(8),
            "code_challenge": challenge.rstrip(b"=").decode(),
            "code_challenge_method": "S256",
        }
        email = f"user{self.number}-{secrets.token_hex(4)}@bench.example"
        with self.step("authorize page"):
            page = http.get("/authorize", query_string=params)
        html = page.get_data(as_text=True)
        form = {"csrf_token": CSRF.search(html)[1], "authz": AUTHZ.search(html)[1], "email": email}
        with self.step("start"):
            started = http.post("/login/start", data=form)
        assert started.status_code == 303, started.status_code
        code_url = started.headers["Location"]
        with self.app.app_context():  # read before sending: a sent message's body is blanked
            subject = db.session.query(OutboxMessage).filter_by(recipient=email).one().subject
            db.session.rollback()
        code = re.search(r"\d{6}", subject)[0]
        with self.step("send code"), self.app.app_context():
            dispatcher.dispatch_due(purge=False)
        with self.step("code page"):
            code_page = http.get(code_url).get_data(as_text=True)
        typed = {"csrf_token": CSRF.search(code_page)[1], "code": code}
        with self.step("verify"):
            done = http.post(code_url, data=typed)
        auth_code = parse_qs(urlsplit(done.headers["Location"]).query)["code"][0]
        exchange = {
            "grant_type": "authorization_code",
            "code": auth_code,
            "redirect_uri": CALLBACK,
            "code_verifier": verifier,
        }
        with self.step("token"):
            token = http.post("/oauth/token", data=exchange, auth=(self.client_id, self.secret))
        assert token.status_code == 200, token.get_data(as_text=True)


def hello_cpu(requests: int) -> list[float]:
    """CPU seconds of one bare Flask request through the test client, per batch of 50."""
    http = hello_app().test_client()
    for _ in range(50):
        http.get("/")
    batches = []
    for _ in range(requests // 50):
        began = time.process_time()
        for _ in range(50):
            http.get("/")
        batches.append((time.process_time() - began) / 50)
    return batches


def measure(name: str, database_uri: str, sign_ins: int, profile: bool) -> dict:
    """The app writes its JSON access lines as in production, to /dev/null here."""
    with open(os.devnull, "w") as null, redirect_stdout(null):
        return _measure(name, database_uri, sign_ins, profile)


def _measure(name: str, database_uri: str, sign_ins: int, profile: bool) -> dict:
    app, client_id, secret = build_app(database_uri)
    run = Run(app, client_id, secret)
    for _ in range(3):  # warm up: first signing key, caches, compiled statements
        run.sign_in()
    run.counts.reset()
    run.cpu.clear()
    hello = hello_cpu(2000)
    profiler = cProfile.Profile() if profile else None
    if profiler:
        profiler.enable()
    for _ in range(sign_ins):
        run.sign_in()
    if profiler:
        profiler.disable()
    hello = statistics.median(hello + hello_cpu(2000))  # before and after the sign-ins
    with app.app_context():
        db.engine.dispose()
    return {"name": name, "run": run, "hello": hello, "n": sign_ins, "profiler": profiler}


def report(result: dict) -> list[str]:
    run, hello, n = result["run"], result["hello"], result["n"]
    counts = run.counts
    lines = [
        f"### {result['name']}: {n} sign-ins; a bare Flask request costs {hello * 1e6:.0f} µs CPU",
        "",
        "CPU: the median over the sign-ins of each step; statements and commits: the mean.",
        "",
        "| step | CPU ms | × bare request | statements | commits | uncached statements |",
        "|---|---|---|---|---|---|",
    ]
    # Medians of each step over the sign-ins: a loaded machine's spikes fall outside.
    cpu_of = {step: statistics.median(run.cpu[step]) for step in STEPS}
    for step in STEPS:
        cpu = cpu_of[step]
        lines.append(
            f"| {step} | {cpu * 1000:.2f} | {cpu / hello:.1f} | "
            f"{counts.statements[step] / n:g} | {counts.commits[step] / n:g} | "
            f"{counts.uncached[step] / n:g} |"
        )
    total = sum(cpu_of.values())
    web = total - cpu_of["send code"]
    lines += [
        f"| **whole sign-in** | **{total * 1000:.2f}** | **{total / hello:.1f}** | "
        f"**{sum(counts.statements[s] for s in STEPS) / n:g}** | "
        f"**{sum(counts.commits[s] for s in STEPS) / n:g}** | "
        f"**{sum(counts.uncached[s] for s in STEPS) / n:g}** |",
        "",
        f"The five web requests alone (without sending): {web * 1000:.2f} ms = "
        f"{web / hello:.1f}× a bare request.",
    ]
    for sql, times in counts.uncached_sql.most_common(5):
        lines.append(f"- uncached ×{times}: `{sql}`")
    return lines


@contextmanager
def postgres_database():
    import psycopg

    name = f"latchkey_cpu_{os.getpid()}"
    with psycopg.connect(POSTGRES, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield POSTGRES.replace("postgresql://", "postgresql+psycopg://").rsplit("/", 1)[0] + (
            f"/{name}"
        )
    finally:
        with psycopg.connect(POSTGRES, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sign-ins", type=int, default=100)
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--profile", action="store_true", help="cProfile the sign-ins")
    parser.add_argument("--output", type=Path, help="also write the tables (Markdown) here")
    args = parser.parse_args()
    results = []
    if args.database in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as folder:
            uri = f"sqlite:///{Path(folder) / 'bench.sqlite'}"
            results.append(measure("SQLite", uri, args.sign_ins, args.profile))
    if args.database in ("postgresql", "both"):
        with postgres_database() as uri:
            results.append(measure("PostgreSQL", uri, args.sign_ins, args.profile))
    text = []
    for result in results:
        text += report(result) + [""]
        if result["profiler"]:
            stats = pstats.Stats(result["profiler"], stream=sys.stdout)
            stats.sort_stats("tottime").print_stats(40)
            stats.sort_stats("cumulative").print_stats(60)
    print("\n".join(text))
    if args.output:
        args.output.write_text("\n".join(text))


if __name__ == "__main__":
    main()
