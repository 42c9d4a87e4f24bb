"""Operating a server: /healthz and /readyz, request ids, JSON log lines on stdout."""

from __future__ import annotations

import json
import re

import pytest
from conftest import BASE_CONFIG

from app import create_app
from app.config import ConfigError
from app.web.request_ids import request_id_from


def json_lines(text: str) -> list[dict]:
    """The JSON objects among captured stdout lines."""
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_healthz_answers_without_touching_anything(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_is_ready_when_database_and_limit_store_answer(client):
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ready",
        "checks": {"database": "ok", "rate_limit_store": "ok"},
    }


def test_readyz_is_503_json_when_the_database_is_unreachable(tmp_path):
    missing = tmp_path / "no-such-folder" / "latchkey.sqlite"
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{missing}"})

    response = app.test_client().get("/readyz")

    assert response.status_code == 503
    assert response.is_json
    assert response.get_json()["checks"] == {"database": "unreachable", "rate_limit_store": "ok"}


def test_readyz_is_503_json_when_redis_is_unreachable(make_app):
    # Port 1 on loopback: nothing listens, the connection is refused at once.
    app = make_app(RATELIMIT_STORAGE_URI="redis://127.0.0.1:1", RATELIMIT_ENABLED=True)

    response = app.test_client().get("/readyz")

    assert response.status_code == 503
    assert response.get_json() == {
        "status": "unavailable",
        "checks": {"database": "ok", "rate_limit_store": "unreachable"},
    }


def test_readyz_reaches_the_real_redis(make_app):
    app = make_app(RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379", RATELIMIT_ENABLED=True)

    response = app.test_client().get("/readyz")

    assert response.status_code == 200
    assert response.get_json()["checks"]["rate_limit_store"] == "ok"


def test_a_sane_incoming_request_id_is_kept_and_returned(client):
    response = client.get("/healthz", headers={"X-Request-ID": "lb-7f3a9c21-0001"})

    assert response.headers["X-Request-ID"] == "lb-7f3a9c21-0001"


@pytest.mark.parametrize(
    "incoming",
    [None, "", "short", "a" * 129, "id with spaces", "id\r\nX-Forged: 1", "<script>x</script>"],
)
def test_a_missing_or_odd_request_id_is_replaced_by_a_fresh_one(client, incoming):
    headers = {} if incoming is None else {"X-Request-ID": incoming}
    if incoming and "\n" in incoming:
        assert request_id_from(incoming) != incoming  # werkzeug refuses to send it at all
        return

    response = client.get("/healthz", headers=headers)

    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])


def test_error_pages_carry_the_request_id_too(client):
    response = client.get("/no-such-page", headers={"X-Request-ID": "trace-000000001"})

    assert response.status_code == 404
    assert response.headers["X-Request-ID"] == "trace-000000001"


def test_json_log_line_per_request_with_its_request_id_and_redacted_path(make_app, capsys):
    app = make_app(LOG_FORMAT="json")
    client = app.test_client()

    response = client.get("/login/link/SECRET-LINK-TOKEN", headers={"X-Request-ID": "req-abcdef12"})

    lines = [line for line in json_lines(capsys.readouterr().out) if line["request_id"]]
    access = [line for line in lines if line["logger"] == "app.requests"]
    assert len(access) == 1
    assert access[0]["request_id"] == "req-abcdef12" == response.headers["X-Request-ID"]
    assert access[0]["path"] == "/login/link/[redacted]"
    assert access[0]["status"] == response.status_code
    assert access[0]["level"] == "info"
    assert isinstance(access[0]["duration_ms"], float)
    assert "SECRET-LINK-TOKEN" not in json.dumps(lines)


def test_the_access_line_follows_its_loggers_level(make_app, capsys):
    import logging

    app = make_app(LOG_FORMAT="json")
    access = logging.getLogger("app.requests")
    access.setLevel(logging.WARNING)  # an operator who wants no access lines
    try:
        app.test_client().get("/healthz")
    finally:
        access.setLevel(logging.NOTSET)
    app.test_client().get("/healthz")

    loggers = [line["logger"] for line in json_lines(capsys.readouterr().out)]
    assert loggers.count("app.requests") == 1


def test_commands_keep_stdout_for_their_output_and_log_to_stderr(make_app, capsys):
    import logging

    import click

    make_app(LOG_FORMAT="json")
    with click.Context(click.Command("clients")):
        logging.getLogger("app.cli").warning("a notice while a command runs")
    logging.getLogger("app.cli").warning("a notice while serving")

    captured = capsys.readouterr()
    assert [line["message"] for line in json_lines(captured.err)] == [
        "a notice while a command runs"
    ]
    assert [line["message"] for line in json_lines(captured.out)] == ["a notice while serving"]


def test_text_logs_write_no_json_lines(make_app, capsys):
    app = make_app(LOG_FORMAT="text")

    app.test_client().get("/healthz")

    assert json_lines(capsys.readouterr().out) == []


def test_json_is_the_default_outside_debug_and_text_in_debug(make_app):
    from app import json_logs

    assert json_logs.uses_json(make_app())
    assert not json_logs.uses_json(make_app(DEBUG=True))


def test_an_unknown_log_format_stops_start_up_with_one_line(tmp_path):
    with pytest.raises(ConfigError, match="FLASK_LOG_FORMAT must be 'json' or 'text'"):
        create_app(
            {**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db"}
            | {"LOG_FORMAT": "xml"}
        )
