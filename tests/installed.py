"""Latchkey as an operator gets it: `pip install .` of a clean checkout into a fresh
venv, run from an empty folder under gunicorn. Used by tests/test_install.py and by
the load benchmark (bench/load.py).

    venv = install_clean_checkout(tmp / "work")      # bin/ of the fresh venv
    with Gunicorn(venv, run_dir, env, workers=2) as server:
        requests.get(server.url + "/healthz")
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent


def clean_checkout(destination: Path) -> Path:
    """Copy the files git would check out (tracked, plus new unignored ones) of this
    work tree: no .venv, no compiled catalogs, no instance folder."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, (entry.decode() for entry in listed)):
        source = ROOT / name
        if source.is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)
    return destination


def install_clean_checkout(work: Path, extras: str = "") -> Path:
    """`python -m venv` then `pip install .` (not editable) of a clean checkout;
    returns the venv's bin folder. pip's cache makes repeated runs quick."""
    source = clean_checkout(work / "checkout")
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    installed = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", f".{extras}"],
        cwd=source,
        env=operator_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        timeout=900,
    )
    assert installed.returncode == 0, f"pip install . failed: {installed.stderr[-3000:]}"
    shutil.rmtree(source)  # nothing may be read from the checkout once installed
    return venv / "bin"


def operator_env(**settings: str) -> dict[str, str]:
    """This process's environment without Flask, venv or Python path settings, plus
    `settings` as FLASK_* variables."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("FLASK_", "PYTHON", "VIRTUAL_ENV", "GUNICORN"))
    }
    env.update({f"FLASK_{key}": value for key, value in settings.items()})
    return env


def flask(bin_dir: Path, run_dir: Path, env: dict[str, str], *args: str) -> str:
    """Run `flask --app wsgi ARGS` from `run_dir` with the installed Latchkey."""
    done = subprocess.run(
        [str(bin_dir / "flask"), "--app", "wsgi", *args],
        cwd=run_dir,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


class Gunicorn:
    """`gunicorn -c python:app.gunicorn_settings wsgi:app` on a loopback port, its
    stdout (JSON log lines) kept in a file; stopped with SIGTERM (graceful)."""

    def __init__(
        self,
        bin_dir: Path,
        run_dir: Path,
        env: dict[str, str],
        port: int,
        workers: int = 2,
        app: str = "wsgi:app",
        extra: tuple[str, ...] = (),
    ) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.command = [
            str(bin_dir / "gunicorn"),
            "-c",
            "python:app.gunicorn_settings",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            str(workers),
            *extra,
            app,
        ]
        self.run_dir, self.env, self.workers = run_dir, env, workers
        self.log_path = run_dir / f"gunicorn-{port}.out"
        self.process: subprocess.Popen | None = None
        self.returncode: int | None = None

    def __enter__(self) -> Gunicorn:
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            self.command,
            cwd=self.run_dir,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        try:
            self._wait_until_serving()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _wait_until_serving(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.log_path.read_text()[-2000:]}")
            try:
                if requests.get(self.url + "/healthz", timeout=5).ok and (
                    len(self.worker_pids()) == self.workers
                ):
                    return
            except requests.RequestException:  # not listening yet, or still booting
                pass
            time.sleep(0.2)
        raise RuntimeError("gunicorn did not start serving in time")

    def worker_pids(self) -> list[int]:
        """The worker processes (children of the gunicorn master)."""
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in path.read_text().split()] if path.exists() else []

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def __exit__(self, *exc_info: object) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.returncode = self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.returncode = self.process.wait()
        self._log.close()
