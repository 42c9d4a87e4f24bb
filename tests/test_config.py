"""Start-up checks: production refuses to run without its secrets, with one clear line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from live_server import release

from app import create_app
from app.config import ConfigError

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("env", "missing"),
    [
        ({}, "FLASK_SECRET_KEY and FLASK_ISSUER"),
        ({"FLASK_SECRET_KEY": "s"}, "FLASK_ISSUER"),
        ({"FLASK_ISSUER": "https://id.example"}, "FLASK_SECRET_KEY"),
    ],
)
def test_production_refuses_to_start_without_secret_and_issuer(monkeypatch, tmp_path, env, missing):
    for key in ("FLASK_SECRET_KEY", "FLASK_ISSUER", "FLASK_DEBUG"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("FLASK_SQLALCHEMY_DATABASE_URI", f"sqlite:///{tmp_path / 'x.sqlite'}")

    with pytest.raises(ConfigError, match=f"Latchkey needs {missing} outside debug"):
        create_app()


def test_the_command_line_says_what_is_missing_in_one_line(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("FLASK_") and key != "CI"
    }
    env["FLASK_SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path / 'x.sqlite'}"
    env["FLASK_SKIP_DOTENV"] = "1"  # a `make run` checkout's .flaskenv turns debug on
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "routes"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert lines == [
        "latchkey: Latchkey needs FLASK_SECRET_KEY and FLASK_ISSUER outside debug and testing "
        "(see README, 'Configuration')."
    ]


def test_issuer_is_kept_as_written_trailing_slash_included(make_app):
    assert make_app(ISSUER="https://id.example/").config["ISSUER"] == "https://id.example/"
    assert make_app(ISSUER="https://id.example").config["ISSUER"] == "https://id.example"


def test_the_development_issuer_ends_with_a_slash_as_auth0_spa_js_needs(monkeypatch, tmp_path):
    monkeypatch.delenv("FLASK_ISSUER", raising=False)
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "s",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite'}",
            "DISPATCHER_THREAD": False,
            "DEMO": True,
        }
    )
    try:
        spa_demo = app.test_client().get("/demo/spa/").get_data(as_text=True)
    finally:
        release(app)

    assert app.config["ISSUER"] == "http://127.0.0.1:5000/"
    assert 'data-domain="http://127.0.0.1:5000"' in spa_demo
    assert "accepts only an issuer" not in spa_demo


def test_the_spa_demo_says_when_the_issuer_lacks_the_slash(make_app):
    page = make_app(ISSUER="https://id.example", DEMO=True).test_client().get("/demo/spa/")

    assert "start the server with FLASK_ISSUER=https://id.example/" in page.get_data(as_text=True)


def test_unknown_email_provider_is_refused(make_app):
    with pytest.raises(ConfigError, match="FLASK_EMAIL_PROVIDER"):
        make_app(EMAIL_PROVIDER="pigeon")
