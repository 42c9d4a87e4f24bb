"""Locust users for the load benchmark (bench/load.py runs them headless).

- HelloUser: the bare Flask page, the yardstick.
- PageUser: a first view of the hosted page (`/authorize`, which shows the sign-in form).
- FstUser: Flask-Security-Too's email-code sign-in (bench/fst_app.py): sign-in
  page → send code → the code from the SMTP server → sign in (no OIDC), as
  `FLOW sign-in`.
- PacedSignInUser: SignInUser at a fixed pace (one sign-in started every LK_PACING
  seconds per user, whatever the last one took): many of them make an open-loop
  load, a fixed arrival rate, so a slow mail server shows as latency, not as fewer
  sign-ins started.
- SignInUser: a whole sign-in: authorize → start → code page → the code from the
  local SMTP server (bench/mail_sink.py) → verify → token. Each step is a request
  of its own name; the whole sign-in is reported as `FLOW sign-in`, and the time from
  the code page to the code's arrival at the SMTP server as `MAIL code after page`.

Settings come from the environment: LK_CLIENT_ID, LK_CLIENT_SECRET, LK_CALLBACK,
LK_MAILDIR, and for FstUser LK_FST_USERS (how many seeded users to cycle through).
"""

from __future__ import annotations

import base64
import hashlib
import html
import itertools
import json
import os
import re
import secrets
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import gevent
from locust import HttpUser, constant, constant_pacing, task

FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S)
INPUT = re.compile(r"<input\b([^>]*)>")
ATTRIBUTE = re.compile(r'([\w-]+)="([^"]*)"')
MAIL_TIMEOUT = 60


def form_fields(page: str, action_prefix: str) -> dict[str, str]:
    """Named inputs of the form posting to `action_prefix` (hidden fields included)."""
    for attributes, body in FORM.findall(page):
        if dict(ATTRIBUTE.findall(attributes)).get("action", "").startswith(action_prefix):
            fields = {}
            for tag in INPUT.findall(body):
                values = dict(ATTRIBUTE.findall(tag))
                if "name" in values:
                    fields[values["name"]] = html.unescape(values.get("value", ""))
            return fields
    raise ValueError(f"no form posting to {action_prefix}")


def authorize_params(challenge: str, callback: str) -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": os.environ["LK_CLIENT_ID"],
        "redirect_uri": callback,
        "scope": "openid email",
        "state": secrets.token_urlsafe(8),
        "nonce": secrets.token_urlsafe(8),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class HelloUser(HttpUser):
    wait_time = constant(0)

    @task
    def hello(self):
        self.client.get("/", name="hello")


class PageUser(HttpUser):
    wait_time = constant(0)

    @task
    def hosted_page(self):
        self.client.cookies.clear()  # a first visit
        _, challenge = pkce()
        params = authorize_params(challenge, os.environ["LK_CALLBACK"])
        with self.client.get(
            "/authorize", params=params, name="hosted page", catch_response=True
        ) as response:
            if response.status_code != 200 or "/login/start" not in response.text:
                response.failure(f"status {response.status_code}")


class StepFailed(Exception):
    """A step of the sign-in did not answer as a browser expects."""


def report_flow(environment, kind: str, name: str, began: float, error=None, elapsed=None):
    """Fire a Locust request event for a step that is not one HTTP request."""
    environment.events.request.fire(
        request_type=kind,
        name=name,
        response_time=(elapsed if elapsed is not None else time.perf_counter() - began) * 1000,
        response_length=0,
        exception=error,
        context={},
    )


def wait_for_code(environment, email: str, shown: float) -> str:
    """The code the SMTP server received for `email`; reports how long after `shown`."""
    path = Path(os.environ["LK_MAILDIR"]) / email
    deadline = time.monotonic() + MAIL_TIMEOUT
    while time.monotonic() < deadline:
        if path.exists():
            mail = json.loads(path.read_text())
            delay = max(0.0, mail["arrived"] - shown)
            report_flow(environment, "MAIL", "code after page", 0, elapsed=delay)
            return mail["code"]
        gevent.sleep(0.01)
    raise StepFailed("no code within 60 s")


FST_NUMBERS = itertools.count()


class FstUser(HttpUser):
    wait_time = constant(0)

    @task
    def sign_in(self):
        began = time.perf_counter()
        try:
            self._sign_in()
        except (StepFailed, ValueError, KeyError) as error:
            report_flow(self.environment, "FLOW", "sign-in", began, error)
        else:
            report_flow(self.environment, "FLOW", "sign-in", began)

    def _sign_in(self) -> None:
        http = self.client
        http.cookies.clear()
        number = next(FST_NUMBERS) % int(os.environ["LK_FST_USERS"]) + 1
        email = f"bench{number}@fst.example"
        (Path(os.environ["LK_MAILDIR"]) / email).unlink(missing_ok=True)
        page = http.get("/us-signin", name="sign-in page")
        if page.status_code != 200:
            raise StepFailed(f"sign-in page: {page.status_code}")
        token = form_fields(page.text, "/us-signin")["csrf_token"]
        sent = http.post(
            "/us-signin/send-code",
            data={"csrf_token": token, "identity": email, "chosen_method": "email"},
            name="send code",
        )
        if sent.status_code != 200:
            raise StepFailed(f"send code: {sent.status_code}")
        code = wait_for_code(self.environment, email, time.time())
        done = http.post(
            "/us-signin",
            data={"csrf_token": token, "identity": email, "passcode": code, "submit": "Submit"},
            name="verify",
            allow_redirects=False,
        )
        if done.status_code != 302:
            raise StepFailed(f"verify: {done.status_code}")


class SignInUser(HttpUser):
    wait_time = constant(0)

    @task
    def sign_in(self):
        began = time.perf_counter()
        try:
            self._sign_in()
        except (StepFailed, ValueError, KeyError) as error:
            self._report("FLOW", "sign-in", began, error)
        else:
            self._report("FLOW", "sign-in", began)

    def _report(self, kind: str, name: str, began: float, error=None) -> None:
        report_flow(self.environment, kind, name, began, error)

    def _expect(self, response, status: int, step: str):
        if response.status_code != status:
            raise StepFailed(f"{step}: {response.status_code}")
        return response

    def _sign_in(self) -> None:
        http, callback = self.client, os.environ["LK_CALLBACK"]
        http.cookies.clear()
        email = f"u{secrets.token_hex(8)}@bench.example"
        verifier, challenge = pkce()
        page = http.get(
            "/authorize", params=authorize_params(challenge, callback), name="authorize"
        )
        fields = form_fields(self._expect(page, 200, "authorize").text, "/login/start")
        started = http.post(
            "/login/start", data={**fields, "email": email}, name="start", allow_redirects=False
        )
        code_url = self._expect(started, 303, "start").headers["Location"]
        code_page = self._expect(http.get(code_url, name="code page"), 200, "code page")
        shown = time.time()
        code = wait_for_code(self.environment, email, shown)
        done = http.post(
            code_url,
            data={**form_fields(code_page.text, "/login/code/"), "code": code},
            name="verify",
            allow_redirects=False,
        )
        location = self._expect(done, 302, "verify").headers["Location"]
        auth_code = parse_qs(urlsplit(location).query)["code"][0]
        token = http.post(
            "/oauth/token",
            data={
                "grant_type": "authorization_code",
                "code": auth_code,
                "redirect_uri": callback,
                "code_verifier": verifier,
            },
            auth=(os.environ["LK_CLIENT_ID"], os.environ["LK_CLIENT_SECRET"]),
            name="token",
        )
        if "id_token" not in self._expect(token, 200, "token").json():
            raise StepFailed("token: no id_token")


class PacedSignInUser(SignInUser):
    wait_time = constant_pacing(float(os.environ.get("LK_PACING", "4")))
