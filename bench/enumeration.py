"""Benchmark: does the start step take the same time for every kind of address?

Run with `make bench`. Posts the email step for a known, an unknown, a blocked and a
sign-up-refused address in turn (interleaved, so drift hits all alike) and prints the
median and 95th-percentile time of each. It asserts nothing: the figures are for
reading; a gap of more than a fraction of a millisecond would deserve a look.
"""

from __future__ import annotations

import argparse
import re
import secrets
import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from app import create_app
from app.accounts.clients import create_client
from app.accounts.connections import get_connection
from app.accounts.users import create_with_identity
from app.extensions import db

CALLBACK = "https://bench.example/cb"
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
AUTHZ = re.compile(r'name="authz" type="hidden" value="([^"]+)"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(
            {
                "TESTING": True,
                "SECRET_KEY": secrets.token_urlsafe(32),
                "ISSUER": "https://latchkey.bench",
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{Path(folder) / 'bench.sqlite'}",
                "EMAIL_PROVIDER": "dev",
                "DISPATCHER_THREAD": False,
                "RATELIMIT_ENABLED": False,
            }
        )
        with app.app_context():
            db.create_all()
            client, _ = create_client("Bench", [CALLBACK])
            client_id = client.client_id
            create_with_identity("email", "known@bench.example")
            create_with_identity("email", "blocked@bench.example").blocked = True
            db.session.commit()
        kinds = {
            "known": ("known@bench.example", True),
            "unknown": ("new{n}@bench.example", True),
            "blocked": ("blocked@bench.example", True),
            "sign-up refused": ("stranger{n}@bench.example", False),
        }
        http = app.test_client()
        params = {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": CALLBACK,
            "scope": "openid email",
            "state": "s",
        }
        html = http.get("/authorize", query_string=params).get_data(as_text=True)
        form = {"csrf_token": CSRF.search(html)[1], "authz": AUTHZ.search(html)[1]}
        timings: dict[str, list[float]] = defaultdict(list)
        for n in range(args.rounds):
            for kind, (address, signup) in kinds.items():
                with app.app_context():
                    get_connection("email").signup_allowed = signup
                    db.session.commit()
                data = {**form, "email": address.format(n=n)}
                began = time.perf_counter()
                answer = http.post("/login/start", data=data)
                timings[kind].append(time.perf_counter() - began)
                assert answer.status_code == 303, answer.status_code
        print(f"{'POST /login/start for':<24}{'median ms':>12}{'p95 ms':>10}")
        for kind, values in timings.items():
            ordered = sorted(values)
            p95 = ordered[int(len(ordered) * 0.95)]
            print(f"{kind:<24}{statistics.median(values) * 1000:>12.2f}{p95 * 1000:>10.2f}")
        with app.app_context():
            db.engine.dispose()


if __name__ == "__main__":
    main()
