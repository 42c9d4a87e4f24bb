"""What a sign-in costs the database, step by step: SQL statements, commits, and
statements SQLAlchemy had to compile afresh (its compiled-statement cache should
serve every one after the first sign-in). Counts are deterministic, so these
budgets guard the hot path without timing anything (docs/benchmarks.md has the
figures; bench/cpu_ratio.py measures the same steps' CPU).

A change that needs more statements on a step raises its budget here, on purpose."""

from __future__ import annotations

import time
from collections import Counter
from contextlib import contextmanager

import databases
import pytest
from conftest import BASE_CONFIG
from helpers import LoginPage, RelyingApp, query_of
from live_server import release
from sqlalchemy import event, select
from sqlalchemy.exc import OperationalError

from app import create_app, database
from app.delivery import dispatcher
from app.extensions import db

# step: (statements, commits), at most. Before the performance work (issue 13) a
# sign-in took 59 statements and 13 commits, sending included; then 45 and 13, then 33
# and 7.
BUDGETS = {
    "authorize page": (1, 0),
    "start": (6, 1),
    "send": (3, 2),  # the claim (committed before the provider), the outcome with its event
    "code page": (1, 0),  # the ticket, its client, code length and message state at once
    "verify": (9, 2),  # the try reserved (committed before the code is compared), the rest
    "token": (5, 1),
}


class Meter:
    """Counts what the app's engine runs, by the step under way."""

    def __init__(self, app) -> None:
        with app.app_context():
            self.engine = db.engine
        self.step = None
        self.statements: Counter[str] = Counter()
        self.commits: Counter[str] = Counter()
        self.compiled: list[str] = []
        event.listen(self.engine, "after_cursor_execute", self._statement)
        event.listen(self.engine, "commit", self._commit)

    def close(self) -> None:
        event.remove(self.engine, "after_cursor_execute", self._statement)
        event.remove(self.engine, "commit", self._commit)

    @contextmanager
    def counting(self, step: str):
        self.step = step
        try:
            yield
        finally:
            self.step = None

    def _statement(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if self.step is None or statement.startswith("NOTIFY"):
            return  # PostgreSQL's NOTIFY wakes other processes' dispatchers: not a query
        self.statements[self.step] += 1
        if context is not None and context.compiled is not None:
            if "cached" not in context._get_cache_stats():  # "generated in …", "no key …"
                self.compiled.append(f"{self.step}: {statement[:120]}")

    def _commit(self, conn) -> None:
        if self.step is not None:
            self.commits[self.step] += 1


def sign_in(app, http, relying: RelyingApp, email: str, meter: Meter) -> None:
    page = LoginPage(http)
    with meter.counting("authorize page"):
        assert page.open_authorize(**relying.authorize_params()).status_code == 200
    with meter.counting("start"):
        assert page.submit_email(email).status_code == 303
    code = page.read_code(email)  # the test reads the outbox: not the app's work
    with meter.counting("send"), app.app_context():
        assert dispatcher.dispatch_due(purge=False) == 1
    with meter.counting("code page"):
        assert page.open_code_page().status_code == 200
    with meter.counting("verify"):
        done = page.enter_code(code)
    assert done.status_code == 302, done.get_data(as_text=True)
    with meter.counting("token"):
        token = relying.exchange(http, query_of(done.headers["Location"])["code"])
    assert token.status_code == 200, token.get_data(as_text=True)


def test_a_sign_in_stays_within_its_statement_and_commit_budgets(app):
    relying = RelyingApp.register(app)
    meter = Meter(app)
    try:
        sign_in(app, app.test_client(), relying, "first@example.com", meter)  # warms caches
        meter.statements.clear()
        meter.commits.clear()
        meter.compiled.clear()
        sign_in(app, app.test_client(), relying, "second@example.com", meter)
    finally:
        meter.close()
    spent = {step: (meter.statements[step], meter.commits[step]) for step in BUDGETS}
    over = {
        step: (spent[step], budget)
        for step, budget in BUDGETS.items()
        if spent[step][0] > budget[0] or spent[step][1] > budget[1]
    }
    assert not over, f"(statements, commits) spent over budget: {over}"
    assert sum(s for s, _ in spent.values()) <= 25
    assert sum(c for _, c in spent.values()) <= 6


def test_a_returning_users_verify_costs_less_than_a_new_users(app):
    """A known address: no user or identity to write, one UPDATE notes the sign-in (the
    time, the lockout's counters reset); the ticket names its user as it is used up."""
    relying = RelyingApp.register(app)
    meter = Meter(app)
    try:
        sign_in(app, app.test_client(), relying, "again@example.com", meter)
        meter.statements.clear()
        meter.commits.clear()
        sign_in(app, app.test_client(), relying, "again@example.com", meter)
    finally:
        meter.close()
    assert meter.statements["verify"] <= 8, meter.statements["verify"]
    assert meter.commits["verify"] <= 2


def test_a_dispatcher_pass_that_finds_nothing_due_costs_one_statement(app):
    """Sender threads look whenever a commit wakes them: finding nothing is one claim
    that matches no row, and its commit."""
    meter = Meter(app)
    try:
        with app.app_context(), meter.counting("idle"):
            assert dispatcher.dispatch_due(purge=False) == 0
    finally:
        meter.close()
    assert (meter.statements["idle"], meter.commits["idle"]) == (1, 1)


def test_every_statement_of_a_second_sign_in_comes_from_the_compiled_cache(app):
    """No per-request text() or dynamically built query defeats SQLAlchemy's cache."""
    relying = RelyingApp.register(app)
    meter = Meter(app)
    try:
        sign_in(app, app.test_client(), relying, "first@example.com", meter)
        meter.compiled.clear()
        sign_in(app, app.test_client(), relying, "second@example.com", meter)
    finally:
        meter.close()
    assert meter.compiled == []


def test_a_request_reads_its_signing_key_and_its_client_once(app):
    """Authlib asks for the client at each stage of a request and the ID token asks for
    the key twice (header, signature): one read each, and the same key for both."""
    from app import oidc
    from app.oidc import keys

    relying = RelyingApp.register(app)
    meter = Meter(app)
    try:
        with app.app_context(), meter.counting("request"):
            first = keys.current()
            assert keys.current() is first
            assert (
                oidc.query_client(relying.client_id).row is oidc.query_client(relying.client_id).row
            )
            assert oidc.query_client("no-such-client") is None
            assert meter.statements["request"] == 3  # key, client, the unknown client
            rotated = keys.rotate()
            assert keys.current() is rotated
            assert keys.retire(rotated.kid)
            assert keys.current().kid == first.kid
    finally:
        meter.close()


def _kill_connections(database: str) -> None:
    with databases.admin_connection() as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()",
            (database,),
        )


def test_a_postgresql_connection_is_pinged_only_after_sitting_idle(monkeypatch):
    """PostgreSQL only (this test makes its own database): a pooled connection whose
    server process ended while it sat idle is replaced before use; one used a moment
    ago is handed out unchecked (no round trip per checkout), and if it died in that
    moment, that one query fails and the pool renews every connection."""
    name = databases.create_database("latchkey_ping")
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": databases.sqlalchemy_url(name)})
    try:
        with app.app_context():
            assert db.session.execute(select(1)).scalar() == 1
        monkeypatch.setattr(database, "PING_AFTER_IDLE_SECONDS", 0.05)
        _kill_connections(name)
        time.sleep(0.2)
        with app.app_context():
            assert db.session.execute(select(1)).scalar() == 1  # pinged, replaced

        monkeypatch.setattr(database, "PING_AFTER_IDLE_SECONDS", 60)
        _kill_connections(name)
        with app.app_context():
            with pytest.raises(OperationalError):
                db.session.execute(select(1))
        with app.app_context():
            assert db.session.execute(select(1)).scalar() == 1
    finally:
        release(app)
        databases.drop_database(name)
