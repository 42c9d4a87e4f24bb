"""`flask events list`: the audit log by user, type and time."""

from __future__ import annotations

import json

from freezegun import freeze_time
from helpers import LoginPage, RelyingApp, wrong_code_for

EMAIL = "pat@example.com"
OTHER = "sam@example.com"


def events_json(runner, *args: str) -> list[dict]:
    result = runner.invoke(args=["events", "list", "--json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def sign_in(app, email: str, nonce: str) -> None:
    shop = RelyingApp.register(app)
    page = LoginPage(app.test_client())
    page.open_authorize(**shop.authorize_params(nonce=nonce))
    page.submit_email(email)
    page.open_code_page()
    page.enter_code(wrong_code_for(page.read_code(email)))
    page.enter_code(page.read_code(email))


def test_events_list_every_step_with_time_client_masked_recipient_ip_and_agent(app, runner):
    sign_in(app, EMAIL, "one")

    found = events_json(runner)

    types = [e["type"] for e in found]
    assert {"login.start", "login.wrong_code", "login.success", "session.started"} <= set(types)
    start = next(e for e in found if e["type"] == "login.start")
    assert start["time"].endswith("Z")
    assert start["client_id"] and start["connection"] == "email"
    assert start["recipient"] == "p***@e***.com"
    assert start["ip"] == "127.0.0.1" and start["user_agent"]


def test_events_filter_by_user_type_and_time(app, runner):
    with freeze_time("2030-01-01 10:00:00") as frozen:
        sign_in(app, EMAIL, "one")
        frozen.tick(3600)
        sign_in(app, OTHER, "two")

    mine = events_json(runner, "--user", EMAIL)
    successes = events_json(runner, "--type", "login.success")
    family = events_json(runner, "--type", "login.")
    late = events_json(runner, "--since", "2030-01-01T10:30:00Z")
    early = events_json(runner, "--until", "2030-01-01T10:30:00")

    assert mine and all(e["user"] == mine[0]["user"] for e in mine)
    assert [e["type"] for e in successes] == ["login.success", "login.success"]
    assert family and all(e["type"].startswith("login.") for e in family)
    assert late and all(e["time"] >= "2030-01-01T11:00:00Z" for e in late)
    assert early and all(e["time"] < "2030-01-01T10:30:00Z" for e in early)


def test_events_text_lines_and_clear_errors(app, runner):
    sign_in(app, EMAIL, "one")

    text = runner.invoke(args=["events", "list", "--type", "login.success"])
    bad_time = runner.invoke(args=["events", "list", "--since", "yesterday-ish"])
    nobody = runner.invoke(args=["events", "list", "--user", "nobody@example.com"])

    assert text.exit_code == 0 and "login.success" in text.output
    assert bad_time.exit_code != 0 and "not an ISO time" in bad_time.output
    assert nobody.exit_code != 0 and "No user" in nobody.output
    assert "Traceback" not in bad_time.output + nobody.output


def test_admin_changes_are_events(app, runner):
    sign_in(app, EMAIL, "one")
    runner.invoke(args=["users", "block", EMAIL])

    types = [e["type"] for e in events_json(runner, "--type", "admin.", "--type", "session.")]

    assert "admin.user_blocked" in types and "session.ended" in types
