"""A web worker does not import what only the CLI, migrations, Twilio or logo fetching
need (Alembic with Mako and Pygments, Flask-Migrate, the Twilio SDK, requests): each
costs megabytes in every worker (docs/benchmarks.md). Checked in a fresh interpreter,
as other tests import those modules into the test process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

NOT_IN_A_WORKER = (
    "flask_migrate",
    "alembic",
    "mako",
    "pygments",
    "twilio",
    "app.delivery.twilio_sms",
    "requests",
    "urllib3",
)

# A created app (Twilio chosen as the SMS provider), then one whole email sign-in
# through the hosted page and the token exchange; prints which modules were loaded.
SCRIPT = """
import json, sys
from app import create_app
from app.extensions import db
from helpers import LoginPage, RelyingApp, query_of

app = create_app({
    "TESTING": True,
    "SECRET_KEY": "test-secret-key-not-for-production",
    "ISSUER": "https://latchkey.test",
    "SQLALCHEMY_DATABASE_URI": "sqlite:///" + sys.argv[1],
    "EMAIL_PROVIDER": "dev",
    "SMS_PROVIDER": "twilio",
    "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
    "TWILIO_AUTH_TOKEN": "token",
    "SMS_FROM": "+15005550006",
    "DISPATCHER_THREAD": False,
    "RATELIMIT_ENABLED": False,
})
with app.app_context():
    db.create_all()
created = {name for name in sys.modules}
relying_app = RelyingApp.register(app)
http = app.test_client()
done = LoginPage(http).sign_in("ada@example.com", **relying_app.authorize_params())
token = relying_app.exchange(http, query_of(done.headers["Location"])["code"])
assert token.status_code == 200, token.get_data(as_text=True)
print(json.dumps({"created": sorted(created), "signed_in": sorted(sys.modules)}))
"""


def loaded_modules(tmp_path) -> dict[str, set[str]]:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "imports.sqlite")],
        cwd=ROOT,
        env={"PYTHONPATH": f"{ROOT}:{ROOT / 'tests'}", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    return {stage: set(names) for stage, names in found.items()}


def test_a_worker_signing_someone_in_never_imports_the_cli_migration_or_sms_libraries(
    tmp_path,
):
    loaded = loaded_modules(tmp_path)
    # The probe sees what the app does use …
    assert {"sqlalchemy", "liquid", "app.web.login", "app.delivery.sms"} <= loaded["created"]
    # … and none of these, neither at creation nor after a sign-in.
    for stage, names in loaded.items():
        assert sorted(names & set(NOT_IN_A_WORKER)) == [], stage
