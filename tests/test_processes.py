"""Many processes on one PostgreSQL and one Redis, as an operator runs Latchkey.

Real parts only: `flask run` and `flask outbox work` processes configured by
FLASK_* variables, the local PostgreSQL (a database per test) and Redis (a key
prefix per test), a real SMTP server (aiosmtpd) counting what arrives.
"""

from __future__ import annotations

import secrets
import threading
import time

import databases
import psycopg
import pytest
import requests
from helpers import Message, RelyingApp, form_posting_to, query_of, visible_text
from processes import (
    KEY_ENCRYPTION_KEY,
    DispatcherProcess,
    HoldingSmtpSink,
    app_processes,
    latchkey_env,
    migrated_database,
    wait_for,
)
from smtp_server import free_port
from sqlalchemy import func, select

from app import create_app
from app.delivery import outbox
from app.extensions import db
from app.messages.rendering import RenderedEmail
from app.models import OutboxMessage

TIMEOUT = 15


@pytest.fixture
def pg_database():
    """(name, URL) of a database of this test's own on the local PostgreSQL."""
    try:
        name, url = migrated_database()
    except psycopg.OperationalError as error:  # the server is part of the test bed
        pytest.fail(f"PostgreSQL at {databases.ADMIN_URL} is needed: {error}")
    yield name, url
    databases.drop_database(name)


@pytest.fixture
def smtp_sink():
    with HoldingSmtpSink() as sink:
        yield sink


@pytest.fixture
def redis_prefix():
    import redis

    prefix = f"latchkey-proc-{secrets.token_hex(6)}"
    yield prefix
    server = redis.Redis.from_url("redis://127.0.0.1:6379")
    keys = list(server.scan_iter(f"{prefix}*"))
    if keys:
        server.delete(*keys)
    server.close()


@pytest.fixture
def admin_app(pg_database):
    """An app in the test process on the same database, to register clients and
    queue messages the way another process would."""
    _name, url = pg_database
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "processes-test-secret-key-not-for-production",
            "ISSUER": "http://127.0.0.1",
            "SQLALCHEMY_DATABASE_URI": url,
            "DISPATCHER_THREAD": False,
            "EMAIL_PROVIDER": "smtp",  # what the messages it queues are sent with
            "KEY_ENCRYPTION_KEYS": KEY_ENCRYPTION_KEY,
        }
    )
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def running():
    """Processes started by a test, stopped at its end whatever happens."""
    processes = []
    yield processes
    for process in processes:
        process.stop()
        print(f"--- {process.log.name}\n{process.output()[-3000:]}")  # shown when failed


class Browser:
    """One person's browser; the load balancer may send each request to any process."""

    def __init__(self) -> None:
        self.http = requests.Session()

    def start(self, server: str, shop: RelyingApp, email: str) -> requests.Response:
        opened = self.http.get(
            server + "/authorize",
            params=shop.authorize_params(nonce=secrets.token_urlsafe(12)),
            allow_redirects=False,
            timeout=TIMEOUT,
        )
        assert opened.status_code == 200, visible_text(opened.text)
        form = form_posting_to(opened.text, "/login/start")
        return self.http.post(
            server + form.action,
            data={**form.fields, "email": email},
            allow_redirects=False,
            timeout=TIMEOUT,
        )

    def enter_code(self, server: str, code_path: str, code: str) -> requests.Response:
        page = self.http.get(server + code_path, allow_redirects=False, timeout=TIMEOUT)
        assert page.status_code == 200, visible_text(page.text)
        form = form_posting_to(page.text, "/login/code/")
        return self.http.post(
            server + form.action,
            data={**form.fields, "code": code},
            allow_redirects=False,
            timeout=TIMEOUT,
        )


def code_mailed_to(sink, email: str) -> str:
    [received] = [m for m in sink.messages if m["To"] == email]
    body = received.get_body(("plain",)).get_content()
    return Message(email, str(received["Subject"]), body, None, None).code


def test_a_sign_in_started_on_one_process_finishes_on_another_and_limits_are_shared(
    pg_database, admin_app, smtp_sink, redis_prefix, running, tmp_path
):
    _name, url = pg_database
    issuer = f"http://127.0.0.1:{free_port()}"  # the load balancer's address
    settings = {
        **smtp_sink.mail_config(),
        "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379",
        "RATELIMIT_KEY_PREFIX": redis_prefix,
        "RECIPIENT_RATE_LIMIT": "3 per 15 minutes",
    }
    one, two = app_processes(2, lambda port: latchkey_env(url, issuer, **settings), tmp_path)
    running.extend([one, two])
    shop = RelyingApp.register(admin_app)
    browser = Browser()

    started = browser.start(one.url, shop, "robin@example.com")
    assert started.status_code == 303, visible_text(started.text)
    wait_for(
        lambda: any(m["To"] == "robin@example.com" for m in smtp_sink.messages),
        TIMEOUT,
        "the code mailed by the first process's dispatcher",
    )
    code = code_mailed_to(smtp_sink, "robin@example.com")
    done = browser.enter_code(two.url, started.headers["Location"], code)

    assert done.status_code == 302, visible_text(done.text)
    callback = query_of(done.headers["Location"])
    assert callback["state"] == shop.state
    token = requests.post(
        two.url + "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": callback["code"],
            "redirect_uri": shop.callback,
            "code_verifier": shop.verifier,
        },
        auth=(shop.client_id, shop.secret),
        timeout=TIMEOUT,
    )
    assert token.status_code == 200, token.text
    assert token.json()["id_token"]

    # The recipient limit (3) holds in total across both processes (one Redis).
    answers = [
        Browser().start(server, shop, "kim@example.com") for server in (one.url, two.url, one.url)
    ]
    fourth = Browser().start(two.url, shop, "kim@example.com")
    assert [answer.status_code for answer in answers] == [303, 303, 303]
    assert fourth.status_code == 429
    assert int(fourth.headers["Retry-After"]) > 0


def backends_waiting_for_a_lock(database: str) -> list[int]:
    with databases.admin_connection() as admin:
        rows = admin.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock'",
            (database,),
        ).fetchall()
    return [pid for (pid,) in rows]


def test_killed_database_connections_fail_requests_cleanly_and_the_next_ones_succeed(
    pg_database, admin_app, running, tmp_path
):
    name, url = pg_database
    [server] = app_processes(
        1, lambda port: latchkey_env(url, f"http://127.0.0.1:{port}"), tmp_path
    )
    running.append(server)
    shop = RelyingApp.register(admin_app)
    authorize = server.url + "/authorize"
    params = shop.authorize_params()
    token_form = {"grant_type": "authorization_code", "code": "x", "redirect_uri": shop.callback}
    assert requests.get(authorize, params=params, timeout=TIMEOUT).status_code == 200

    def page() -> requests.Response:
        return requests.get(authorize, params=params, timeout=TIMEOUT)

    def token() -> requests.Response:
        auth = (shop.client_id, shop.secret)
        return requests.post(server.url + "/oauth/token", data=token_form, auth=auth, timeout=30)

    # Hold the clients table so requests wait inside PostgreSQL, then kill their backends.
    answers: list[requests.Response] = []
    holder = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"))
    holder.execute("LOCK TABLE clients IN ACCESS EXCLUSIVE MODE")
    workers = [
        threading.Thread(target=lambda call=call: answers.append(call()))
        for call in (page, page, token, token)
    ]
    for worker in workers:
        worker.start()
    waiting = wait_for(
        lambda: len(backends_waiting_for_a_lock(name)) >= 4 and backends_waiting_for_a_lock(name),
        TIMEOUT,
        "four requests waiting inside PostgreSQL",
    )
    with databases.admin_connection() as admin:
        for pid in waiting:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    holder.rollback()
    holder.close()
    for worker in workers:
        worker.join(TIMEOUT)

    assert sorted(answer.status_code for answer in answers) == [503, 503, 503, 503]
    pages = [a for a in answers if a.headers["Content-Type"].startswith("text/html")]
    errors = [a.json() for a in answers if a.headers["Content-Type"] == "application/json"]
    assert len(pages) == 2 and len(errors) == 2
    for answer in pages:
        assert "Please try again in a moment" in visible_text(answer.text)
    assert [error["error"] for error in errors] == ["temporarily_unavailable"] * 2
    assert all("Traceback" not in answer.text for answer in answers)
    assert "Traceback" not in server.output()

    # The pool checks its connections before use: the next requests all succeed.
    assert [page().status_code for _ in range(6)] == [200] * 6
    assert token().json()["error"] == "invalid_grant"


def queue_messages(app, recipients: list[str]) -> None:
    """Queue one email per recipient in one transaction (NOTIFY wakes the dispatchers)."""
    with app.app_context():
        for recipient in recipients:
            content = RenderedEmail(subject="Your code", text=f"Hello {recipient}", html="")
            outbox.enqueue("email", recipient, content)
        db.session.commit()


def outbox_counts(app) -> dict[str, int]:
    with app.app_context():
        rows = db.session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        ).all()
        db.session.commit()
        return dict(rows)


def test_messages_held_by_a_killed_dispatcher_are_sent_after_the_lease_exactly_once(
    pg_database, admin_app, smtp_sink, running, tmp_path
):
    _name, url = pg_database
    lease = 3
    env = latchkey_env(
        url, "http://127.0.0.1", **smtp_sink.mail_config(), DISPATCH_LEASE_SECONDS=lease
    )
    doomed = DispatcherProcess(env, tmp_path / "doomed.log", threads=3)
    running.append(doomed)
    recipients = [f"held{n}@example.com" for n in range(3)]
    smtp_sink.hold.set()  # the relay takes the connections but answers nothing

    queue_messages(admin_app, recipients)
    wait_for(lambda: smtp_sink.held == 3, TIMEOUT, "the three sends to reach the relay")
    doomed.kill()
    smtp_sink.hold.clear()
    with admin_app.app_context():
        held = db.session.scalars(select(OutboxMessage)).all()
        assert {m.status for m in held} == {"sending"}
        assert {m.claimed_by.split(":")[1] for m in held} == {str(doomed.pid)}
        lease_ends = {m.id: m.claimed_until for m in held}
        db.session.commit()

    heir = DispatcherProcess(env, tmp_path / "heir.log", threads=2)
    running.append(heir)
    wait_for(lambda: outbox_counts(admin_app) == {"sent": 3}, lease + TIMEOUT, "all three sent")

    assert smtp_sink.received_per_recipient() == {recipient: 1 for recipient in recipients}
    with admin_app.app_context():
        sent = db.session.scalars(select(OutboxMessage)).all()
        assert all(m.sent_at >= lease_ends[m.id] for m in sent)  # not before its lease lapsed
        assert {m.tries for m in sent} == {2}
        assert {m.claimed_by.split(":")[1] for m in sent} == {str(heir.pid)}
    assert heir.terminate() == 0


def test_four_dispatcher_processes_send_each_of_2000_messages_exactly_once(
    pg_database, admin_app, smtp_sink, running, tmp_path
):
    _name, url = pg_database
    env = latchkey_env(url, "http://127.0.0.1", **smtp_sink.mail_config())
    dispatchers = [
        DispatcherProcess(env, tmp_path / f"dispatcher-{n}.log", threads=4) for n in range(4)
    ]
    running.extend(dispatchers)
    recipients = [f"person{n}@example.com" for n in range(2000)]

    queue_messages(admin_app, recipients)
    wait_for(lambda: outbox_counts(admin_app) == {"sent": 2000}, 240, "2,000 messages sent", 0.5)

    received = smtp_sink.received_per_recipient()
    assert len(received) == 2000 and set(received.values()) == {1}
    assert set(received) == set(recipients)
    with admin_app.app_context():
        senders = db.session.execute(
            select(OutboxMessage.claimed_by, func.count()).group_by(OutboxMessage.claimed_by)
        ).all()
        assert db.session.scalar(select(func.max(OutboxMessage.tries))) == 1
    pids = {claimed_by.split(":")[1] for claimed_by, _count in senders}
    assert pids <= {str(d.pid) for d in dispatchers} and len(pids) > 1
    assert [d.terminate() for d in dispatchers] == [0, 0, 0, 0]  # SIGTERM: a clean exit


def test_a_dedicated_dispatcher_is_woken_by_a_message_queued_in_another_process(
    pg_database, admin_app, smtp_sink, running, tmp_path
):
    _name, url = pg_database
    env = latchkey_env(
        url, "http://127.0.0.1", **smtp_sink.mail_config(), DISPATCH_POLL_SECONDS=600
    )
    running.append(DispatcherProcess(env, tmp_path / "listening.log", threads=1))
    time.sleep(1)  # its first look at the outbox (empty) is over: now only NOTIFY wakes it

    queue_messages(admin_app, ["woken@example.com"])

    wait_for(lambda: smtp_sink.envelopes, TIMEOUT, "the message, long before the 600 s poll")
    assert smtp_sink.received_per_recipient() == {"woken@example.com": 1}
