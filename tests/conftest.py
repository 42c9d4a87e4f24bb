"""Shared fixtures, registered once: an app on a fresh database per test (SQLite, or
PostgreSQL with LATCHKEY_TEST_DATABASE=postgresql: see databases.py), its client and
CLI runner; a live server; the SMTP and SMS servers; the browser; one RSA signing key
for the whole session (generating a 2048-bit key per test is slow)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import databases
import freezegun
import pytest
from flask import Flask
from joserfc.jwk import RSAKey
from live_server import LiveServer, release, start_live_server
from sms_servers import SmsGateway, TwilioApi
from smtp_server import SmtpSink

from app import at_rest, create_app
from app.extensions import db
from app.models import SigningKey, random_id

# freezegun scans every loaded module when time freezes; auth0-python's management
# package imports its pydantic types lazily on that scan, which then fail on the fake
# datetime (and leave time half frozen) unless its tests happened to run first.
freezegun.configure(extend_ignore_list=["auth0"])

BASE_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret-key-not-for-production",
    "ISSUER": "https://latchkey.test",
    "EMAIL_PROVIDER": "dev",
    "DEV_OUTBOX": True,
    "DISPATCHER_THREAD": False,
    "DISPATCH_JITTER": 0,  # exact retry times; test_dispatchers checks the jitter
    "RATELIMIT_ENABLED": False,
}


# Modules about pages, browsers and settings rather than storage, and those that pick
# their databases themselves (both kinds): they run in the SQLite pass only. Every other
# test is marked `database`, and `make test` runs those again on PostgreSQL (-m database).
NOT_DATABASE_MODULES = {
    "test_accessibility",
    "test_auth0_spa",
    "test_browser",
    "test_browser_console",
    "test_browser_account",
    "test_browser_links",
    "test_browser_lock",
    "test_browser_lock_classic",
    "test_browser_sms",
    "test_config",
    "test_cors_hsts",
    "test_headers",
    "test_i18n",
    "test_indexes",
    "test_logs",
    "test_migrations",
    "test_pages_render",
    "test_screenshots",
    "test_lock_screenshots",
    "test_processes",
    "test_themes",
    "test_user_agents",
}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.module.__name__.rpartition(".")[2] not in NOT_DATABASE_MODULES:
            item.add_marker(pytest.mark.database)


@pytest.fixture(scope="session", autouse=True)
def test_database():
    """On PostgreSQL runs, this session's own databases, dropped at the end."""
    databases.start_session()
    yield databases.KIND
    databases.end_session()


@pytest.fixture(scope="session")
def signing_key() -> tuple[str, str]:
    """One real RSA key (kid, private PEM) that every test app starts with."""
    pem = RSAKey.generate_key(2048, private=True).as_pem(private=True).decode()
    return random_id(16), pem


def install_signing_key(app: Flask, signing_key: tuple[str, str]) -> None:
    """Store the session's key as the app's current one (rotation still makes new ones)."""
    kid, pem = signing_key
    with app.app_context():
        if db.session.query(SigningKey).filter_by(kid=kid).first() is None:  # shared databases
            db.session.add(SigningKey(kid=kid, sealed_private_pem=at_rest.seal(pem)))
            db.session.commit()


@pytest.fixture
def make_app(tmp_path, signing_key):
    """Build apps on a fresh database with extra config (SMTP, thread, …): on SQLite each
    app has its own file, on PostgreSQL the apps of one test share emptied tables."""
    made = []

    def make(**overrides):
        uri = databases.uri_for(tmp_path, f"app-{len(made)}.sqlite")
        app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": uri, **overrides})
        with app.app_context():
            db.create_all()
        install_signing_key(app, signing_key)
        made.append(app)
        return app

    yield make
    for app in made:
        release(app)


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def live_server(tmp_path, signing_key) -> Iterator[Callable[..., LiveServer]]:
    """A factory: `live_server(**config)` starts a server; all stop at teardown."""
    started: list[LiveServer] = []

    def start(tls: tuple | None = None, issuer_path: str = "", **config: object) -> LiveServer:
        folder = tmp_path / f"live{len(started)}"
        folder.mkdir()
        server = start_live_server(folder, tls, issuer_path, **config)
        install_signing_key(server.app, signing_key)
        started.append(server)
        return server

    yield start
    for server in reversed(started):
        server.stop()


@pytest.fixture
def smtp_server():
    """A real SMTP server (aiosmtpd) on a free loopback port."""
    with SmtpSink() as sink:
        yield sink


@pytest.fixture
def gateway():
    """A custom SMS gateway (Auth0's contract) on a free loopback port."""
    with SmsGateway() as server:
        yield server


@pytest.fixture
def twilio():
    """A server speaking Twilio's Messages API on a free loopback port."""
    with TwilioApi() as server:
        yield server


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium driven by Playwright; never a downloaded browser.

    Without chromium the browser tests skip with the reason, except under CI=true,
    where a missing browser fails the run.
    """
    import os

    if not os.path.exists(CHROMIUM):
        reason = f"Debian's chromium is not installed at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true requires the browser tests: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
