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


def test_line_breaks_are_escaped():
    assert redact("GET /x?y=1\r\nINFO forged line") == "GET /x?y=1\\r\\nINFO forged line"


def test_werkzeug_request_log_hides_the_authorization_code(app, caplog):
    record = logging.LogRecord(
        "werkzeug", logging.INFO, __file__, 1, '"%s" %s', ("GET /cb?code=abc123&state=s", 302), None
    )
    RedactingFilter().filter(record)

    assert "abc123" not in record.getMessage()
    assert any(isinstance(f, RedactingFilter) for f in logging.getLogger("werkzeug").filters)
