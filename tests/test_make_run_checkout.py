"""The command line in the checkout `make run` set up: the README's commands work as
written (no FLASK_DEBUG=1 to add), through the .flaskenv `make run` writes and
Flask reads with python-dotenv."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def flask(folder: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_readme_commands_work_after_make_run_wrote_flaskenv(tmp_path):
    made = subprocess.run(
        [
            "make",
            "--no-print-directory",
            "-f",
            str(ROOT / "Makefile"),
            "-C",
            str(tmp_path),
            ".flaskenv",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert made.returncode == 0, made.stderr
    flaskenv = (tmp_path / ".flaskenv").read_text()
    assert "FLASK_DEBUG=1" in flaskenv.splitlines()
    assert "SECRET" not in flaskenv  # nothing secret: the dev key stays in instance/
    shutil.copy(ROOT / "wsgi.py", tmp_path / "wsgi.py")
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLASK_") and k != "CI"}
    env["FLASK_SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path / 'dev.sqlite'}"

    for command in (
        ["db", "upgrade"],
        ["connections", "update", "email", "--send", "link"],
    ):
        done = flask(tmp_path, *command, env=env)
        assert done.returncode == 0, done.stderr
        assert "Latchkey needs" not in done.stderr
    shown = flask(tmp_path, "connections", "show", "email", env=env)
    assert shown.returncode == 0, shown.stderr
    assert "link" in shown.stdout


def test_without_flaskenv_the_same_command_says_what_is_missing(tmp_path):
    shutil.copy(ROOT / "wsgi.py", tmp_path / "wsgi.py")
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLASK_") and k != "CI"}
    env["FLASK_SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path / 'prod.sqlite'}"
    done = flask(tmp_path, "connections", "show", "email", env=env)
    assert done.returncode != 0
    assert "Latchkey needs FLASK_SECRET_KEY and FLASK_ISSUER" in done.stderr
