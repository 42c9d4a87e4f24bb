"""`pip install .` of a clean checkout into a fresh venv, run from an empty folder,
under gunicorn with 2 workers: every language, theme and migration is there, a
person signs in in French, and the operator's endpoints and logs work."""

from __future__ import annotations

import json
import re
import secrets
import subprocess
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from cryptography.fernet import Fernet
from helpers import csrf_token, form_posting_to, pkce_pair, visible_text
from installed import Gunicorn, flask, install_clean_checkout, operator_env
from smtp_server import SmtpSink, free_port

CODE = re.compile(r"\b(\d{6})\b")
# Where the installed package and the wsgi module are (importing wsgi builds the app).
SHOW_FILES = "import app, importlib.util as u; print(app.__file__, u.find_spec('wsgi').origin)"


@pytest.fixture(scope="session")
def installed(tmp_path_factory):
    """bin/ of a fresh venv holding `pip install .` of a clean checkout."""
    return install_clean_checkout(tmp_path_factory.mktemp("install"))


@pytest.fixture
def run_dir(tmp_path):
    folder = tmp_path / "empty"
    folder.mkdir()
    return folder


class Browser(requests.Session):
    """Browsers send Secure cookies to http://127.0.0.1 (a secure context); so does this
    client, unlike requests. (Latchkey marks its binding cookie Secure outside debug.)"""

    def request(self, *args, **kwargs):
        response = super().request(*args, **kwargs)
        for cookie in self.cookies:
            cookie.secure = False
        return response


def test_the_wheel_carries_every_shipped_file_and_no_checkout_is_needed(installed, run_dir):
    where = subprocess.run(
        [str(installed / "python"), "-c", SHOW_FILES],
        cwd=run_dir,
        env=operator_env(),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    package = installed.parent / "lib"
    assert all(str(package) in path for path in where), where
    data = next(package.glob("python3*/site-packages/app/_data"))
    for language in ("de", "es", "fr", "it", "ja", "nl", "pt_BR"):
        assert (data / "translations" / language / "LC_MESSAGES" / "messages.mo").stat().st_size
    for theme in ("lock", "custom", "lock-classic"):
        assert (data / "themes" / theme / "theme.toml").is_file()
    assert (data / "templates" / "messages" / "fr" / "email_code.subject.liquid").is_file()
    assert (data / "static" / "favicon.svg").is_file()
    # Lock's passwordless widget, bundled and committed (tests/test_lock_bundle.py)
    assert (data / "static" / "vendor" / "auth0-lock.min.js").stat().st_size > 500_000
    assert list((data / "migrations" / "versions").glob("*.py"))


def test_a_french_sign_in_through_gunicorn_with_two_workers(installed, run_dir):
    port = free_port()
    env = operator_env(
        SECRET_KEY=secrets.token_urlsafe(32),
        KEY_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        ISSUER=f"http://127.0.0.1:{port}",
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{run_dir / 'latchkey.sqlite'}",
        EMAIL_PROVIDER="smtp",
        MAIL_SERVER="127.0.0.1",
    )
    flask(installed, run_dir, env, "db", "upgrade")
    callback = "http://127.0.0.1:9/callback"
    client = json.loads(
        flask(
            installed,
            run_dir,
            env,
            "clients",
            "create",
            "--name",
            "Appli",
            "--callback",
            callback,
            "--json",
        )
    )
    with SmtpSink() as mailbox:
        env["FLASK_MAIL_PORT"] = str(mailbox.port)
        with Gunicorn(installed, run_dir, env, port, workers=2) as server:
            id_token = sign_in_in_french(server.url, client, callback, mailbox)
            assert id_token.count(".") == 2

            health = requests.get(server.url + "/healthz", timeout=5)
            ready = requests.get(
                server.url + "/readyz", headers={"X-Request-ID": "probe-0123456789"}, timeout=5
            )
            assert health.json() == {"status": "ok"}
            assert ready.status_code == 200
            assert ready.json()["checks"] == {"database": "ok", "rate_limit_store": "ok"}
            assert ready.headers["X-Request-ID"] == "probe-0123456789"
    assert server.returncode == 0  # SIGTERM: graceful stop of both workers
    lines = [json.loads(line) for line in server.log().splitlines() if line.startswith("{")]
    probe = [line for line in lines if line["request_id"] == "probe-0123456789"]
    assert probe and probe[0]["path"] == "/readyz" and probe[0]["status"] == 200
    assert {line["logger"] for line in lines} >= {"app.requests"}
    assert server.log().count("outbox dispatcher stopped") == 2


def sign_in_in_french(base: str, client: dict, callback: str, mailbox: SmtpSink) -> str:
    """authorize (ui_locales=fr) → email → code from the mailbox → callback → token."""
    browser = Browser()
    verifier, challenge = pkce_pair()
    page = browser.get(
        base + "/authorize",
        params={
            "response_type": "code",
            "client_id": client["client_id"],
            "redirect_uri": callback,
            "scope": "openid email",
            "state": "s-123",
            "nonce": "n-456",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "ui_locales": "fr",
        },
        timeout=10,
    )
    assert page.status_code == 200
    assert 'lang="fr"' in page.text and "Continuer" in visible_text(page.text)
    form = form_posting_to(page.text, "/login/start")
    started = browser.post(
        base + "/login/start",
        data={**form.fields, "email": "marie@example.org"},
        allow_redirects=False,
        timeout=10,
    )
    assert started.status_code == 303, started.text
    code_url = base + started.headers["Location"]
    code_page = browser.get(code_url, timeout=10)
    assert code_page.status_code == 200 and 'lang="fr"' in code_page.text
    message = wait_for_message(mailbox, "marie@example.org")
    assert "est votre code pour Appli" in message["Subject"]
    code = CODE.search(message["Subject"]).group(1)
    done = browser.post(
        code_url,
        data={"csrf_token": csrf_token(code_page.text), "code": code},
        allow_redirects=False,
        timeout=10,
    )
    assert done.status_code == 302, done.text
    back = urlsplit(done.headers["Location"])
    assert f"{back.scheme}://{back.netloc}{back.path}" == callback
    query = {key: values[0] for key, values in parse_qs(back.query).items()}
    assert query["state"] == "s-123"
    token = requests.post(
        base + "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": query["code"],
            "redirect_uri": callback,
            "code_verifier": verifier,
        },
        auth=(client["client_id"], client["client_secret"]),
        timeout=10,
    )
    assert token.status_code == 200, token.text
    return token.json()["id_token"]


def wait_for_message(mailbox: SmtpSink, recipient: str, timeout: float = 20):
    """The first message the SMTP server received for `recipient` (sent by a worker's
    dispatcher thread, so it may take a moment)."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in mailbox.messages:
            if recipient in message["To"]:
                return message
        time.sleep(0.1)
    raise AssertionError(f"no message for {recipient} within {timeout} s")
