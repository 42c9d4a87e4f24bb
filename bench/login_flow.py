"""Benchmark: full email-code sign-ins through the hosted page and the token endpoint.

Run with `make bench`. Prints the time per step and per complete sign-in (median
and 95th percentile) and the process's peak memory. It asserts nothing about
speed: numbers depend on the machine; compare runs on the same one.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import re
import resource
import secrets
import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from app import create_app
from app.accounts.clients import create_client
from app.extensions import db
from app.models import OutboxMessage

CALLBACK = "https://bench.example/cb"
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
AUTHZ = re.compile(r'name="authz" type="hidden" value="([^"]+)"')


def build_app(folder: Path):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": secrets.token_urlsafe(32),
            "ISSUER": "https://latchkey.bench",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.sqlite'}",
            "EMAIL_PROVIDER": "dev",
            "DISPATCHER_THREAD": False,
            "RATELIMIT_ENABLED": False,
        }
    )
    with app.app_context():
        db.create_all()
        client, secret = create_client("Bench", [CALLBACK])
        return app, client.client_id, secret


def sign_in(app, client_id: str, secret: str, n: int, timings: dict[str, list[float]]) -> None:
    http = app.test_client()
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": CALLBACK,
        "scope": "openid email",
        "state": secrets.token_urlsafe(8),
        "nonce": secrets.token_urlsafe(8),
        "code_challenge": challenge.rstrip(b"=").decode(),
        "code_challenge_method": "S256",
    }
    email = f"user{n}@bench.example"

    def step(name, call):
        began = time.perf_counter()
        result = call()
        timings[name].append(time.perf_counter() - began)
        return result

    page = step("GET /authorize", lambda: http.get("/authorize", query_string=params))
    html = page.get_data(as_text=True)
    form = {"csrf_token": CSRF.search(html)[1], "authz": AUTHZ.search(html)[1], "email": email}
    started = step("POST /login/start", lambda: http.post("/login/start", data=form))
    code_url = started.headers["Location"]
    with app.app_context():
        subject = db.session.query(OutboxMessage).filter_by(recipient=email).one().subject
    code = re.search(r"\d{6}", subject)[0]
    code_page = step("GET code page", lambda: http.get(code_url)).get_data(as_text=True)
    typed = {"csrf_token": CSRF.search(code_page)[1], "code": code}
    done = step("POST code", lambda: http.post(code_url, data=typed))
    auth_code = parse_qs(urlsplit(done.headers["Location"]).query)["code"][0]
    exchange = {
        "grant_type": "authorization_code",
        "code": auth_code,
        "redirect_uri": CALLBACK,
        "code_verifier": verifier,
    }
    token = step(
        "POST /oauth/token",
        lambda: http.post("/oauth/token", data=exchange, auth=(client_id, secret)),
    )
    assert token.status_code == 200, token.get_data(as_text=True)


def report(timings: dict[str, list[float]]) -> None:
    print(f"{'step':<22}{'median ms':>12}{'p95 ms':>10}")
    for name, values in timings.items():
        ordered = sorted(values)
        p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
        print(f"{name:<22}{statistics.median(values) * 1000:>12.2f}{p95 * 1000:>10.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sign-ins", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        app, client_id, secret = build_app(Path(folder))
        timings: dict[str, list[float]] = defaultdict(list)
        sign_in(app, client_id, secret, -1, defaultdict(list))  # warm up: first key, caches
        began = time.perf_counter()
        for n in range(args.sign_ins):
            sign_in(app, client_id, secret, n, timings)
        elapsed = time.perf_counter() - began
        timings["whole sign-in"] = [
            sum(values[i] for values in list(timings.values())) for i in range(args.sign_ins)
        ]
        report(timings)
        print(
            f"{args.sign_ins} sign-ins in {elapsed:.2f} s: {args.sign_ins / elapsed:.1f} per second"
        )
        peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(f"peak memory (max RSS): {peak_kib / 1024:.1f} MiB")
        with app.app_context():
            db.engine.dispose()


if __name__ == "__main__":
    main()
