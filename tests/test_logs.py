"""Nothing secret reaches the logs, and no value can forge a log line."""

from __future__ import annotations

import logging

from app.logs import RedactingFilter, redact


def test_secret_query_values_are_redacted_and_others_kept():
    line = '"GET /demo/callback?code=SplxlOBeZQQYbYS6WxSbIA&state=xyz&iss=https://a HTTP/1.1" 302 -'

    cleaned = redact(line)

    assert "SplxlOBeZQQYbYS6WxSbIA" not in cleaned
    assert "code=[redacted]" in cleaned
    assert "state=xyz" in cleaned


def test_magic_link_tokens_in_paths_are_redacted():
    line = '"GET /login/link/eyJ0aWNrZXQiOiJ4In0.Zx9.abc/here?x=1 HTTP/1.1" 200 -'

    cleaned = redact(line)

    assert "eyJ0aWNrZXQiOiJ4In0" not in cleaned
    assert "/login/link/[redacted]/here?x=1" in cleaned


def test_line_breaks_are_escaped():
    assert redact("GET /x?y=1\r\nINFO forged line") == "GET /x?y=1\\r\\nINFO forged line"


def test_werkzeug_request_log_hides_the_authorization_code(app, caplog):
    record = logging.LogRecord(
        "werkzeug", logging.INFO, __file__, 1, '"%s" %s', ("GET /cb?code=abc123&state=s", 302), None
    )
    RedactingFilter().filter(record)

    assert "abc123" not in record.getMessage()
    assert any(isinstance(f, RedactingFilter) for f in logging.getLogger("werkzeug").filters)


def test_the_http_server_request_log_hides_link_tokens_and_codes(live_server, caplog):
    import requests

    server = live_server()
    caplog.set_level(logging.INFO, logger="werkzeug")

    requests.get(f"{server.url}/login/link/SECRET-LINK-TOKEN-123", timeout=10)
    requests.get(f"{server.url}/authorize?code=SECRET-CODE-456&state=s", timeout=10)

    logged = caplog.text
    assert "/login/link/[redacted]" in logged
    assert "SECRET-LINK-TOKEN-123" not in logged
    assert "SECRET-CODE-456" not in logged


def test_an_unexpected_error_on_a_link_path_logs_neither_token_nor_line_breaks(app, caplog):
    @app.get("/login/link/<token>/boom")
    def boom(token):
        raise RuntimeError("unexpected")

    caplog.set_level(logging.ERROR)
    response = app.test_client().get("/login/link/SECRET-TOKEN%0D%0AFORGED/boom")

    assert response.status_code == 500
    assert "Unhandled error" in caplog.text
    assert "SECRET-TOKEN" not in caplog.text
    assert "\r\nFORGED" not in caplog.text


def test_the_dev_server_start_banner_keeps_its_lines_and_colours(app, capsys):
    """`flask run`'s banner is werkzeug's own text: several lines, a coloured warning;
    escaping it would print a literal \\n and raw colour codes on one line."""
    import sys

    from werkzeug.serving import make_server

    handler = logging.StreamHandler(sys.stderr)
    werkzeug_logger = logging.getLogger("werkzeug")
    werkzeug_logger.addHandler(handler)
    level = werkzeug_logger.level
    werkzeug_logger.setLevel(logging.INFO)
    server = make_server("127.0.0.1", 0, app)
    try:
        server.log_startup()
    finally:
        server.server_close()
        werkzeug_logger.removeHandler(handler)
        werkzeug_logger.setLevel(level)

    written = capsys.readouterr().err
    assert "\\n" not in written
    lines = [line for line in written.splitlines() if line.strip()]
    assert lines[0].endswith(
        "Do not use it in a production deployment. Use a production WSGI server instead.\x1b[0m"
    )
    assert lines[0].startswith("\x1b[31m\x1b[1mWARNING")
    assert lines[1].startswith(" * Running on http://127.0.0.1:")


def test_a_request_line_still_cannot_forge_a_line(app):
    record = logging.LogRecord(
        "werkzeug", logging.INFO, __file__, 1, '"%s" %s', ("GET /x\nINFO forged", 404), None
    )
    RedactingFilter().filter(record)
    assert "\n" not in record.getMessage()
