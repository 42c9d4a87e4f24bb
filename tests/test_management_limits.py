"""The Management API's rate limit (MANAGEMENT_RATE_LIMIT, Flask-Limiter): counted per
management client across every /api/v2 route and all of the client's tokens (per IP
address without a valid token), told in Auth0's X-RateLimit-* headers, and over the
limit a 429 in Auth0's shape with Retry-After, which Auth0's own SDK waits out."""

from __future__ import annotations

import time

import pytest
from auth0.management import ManagementClient
from auth0.management.errors import TooManyRequestsError
from management import bearer, management_client, token_for
from sqlalchemy import select
from tls import https_live_server

from app.extensions import db
from app.models import Event

LIMITED = {"RATELIMIT_ENABLED": True, "MANAGEMENT_RATE_LIMIT": "3 per hour"}
TOO_MANY = {
    "statusCode": 429,
    "error": "Too Many Requests",
    "message": (
        "Too many requests. Check the X-RateLimit-Limit, X-RateLimit-Remaining and "
        "X-RateLimit-Reset headers."
    ),
    "errorCode": "too_many_requests",
}


@pytest.fixture
def limited(make_app):
    return make_app(**LIMITED)


def caller(app) -> dict[str, str]:
    """The Authorization header of a fresh management client's token."""
    client_id, secret = management_client(app)
    return bearer(token_for(app.test_client(), client_id, secret))


def test_every_answer_tells_the_limit_what_remains_and_when_it_resets(limited):
    http, headers = limited.test_client(), caller(limited)

    answers = [http.get("/api/v2/users", headers=headers) for _ in range(3)]

    assert [a.status_code for a in answers] == [200, 200, 200]
    assert [a.headers["X-RateLimit-Limit"] for a in answers] == ["3", "3", "3"]
    assert [a.headers["X-RateLimit-Remaining"] for a in answers] == ["2", "1", "0"]
    reset = int(answers[0].headers["X-RateLimit-Reset"])  # a UNIX time, as Auth0's
    assert time.time() < reset <= time.time() + 3600 + 1


def test_over_the_limit_a_429_in_auth0s_shape_with_retry_after(limited):
    http, headers = limited.test_client(), caller(limited)
    for _ in range(3):
        assert http.get("/api/v2/users", headers=headers).status_code == 200

    refused = http.get("/api/v2/users", headers=headers)

    assert refused.status_code == 429
    assert refused.get_json() == TOO_MANY
    assert refused.headers["X-RateLimit-Limit"] == "3"
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    wait = int(refused.headers["Retry-After"])
    assert 0 < wait <= 3601
    assert int(refused.headers["X-RateLimit-Reset"]) >= time.time() + wait - 1
    assert refused.headers["Cache-Control"] == "no-store"
    with limited.app_context():
        throttled = db.session.scalars(select(Event).filter_by(type="throttle.management")).one()
        assert throttled.client_id is not None and throttled.detail["path"] == "/api/v2/users"


def test_one_count_per_client_across_routes_and_tokens(limited):
    http = limited.test_client()
    client_id, secret = management_client(limited)
    first, second = (bearer(token_for(http, client_id, secret)) for _ in range(2))

    statuses = [
        http.get("/api/v2/users", headers=first).status_code,
        http.get("/api/v2/clients", headers=second).status_code,
        http.get("/api/v2/connections", headers=first).status_code,
        http.get("/api/v2/logs", headers=second).status_code,
    ]

    assert statuses == [200, 200, 200, 429]


def test_another_client_and_callers_without_a_token_count_apart(limited):
    http, spent, fresh = limited.test_client(), caller(limited), caller(limited)
    for _ in range(4):
        http.get("/api/v2/users", headers=spent)

    assert http.get("/api/v2/users", headers=spent).status_code == 429
    assert http.get("/api/v2/users", headers=fresh).status_code == 200
    anonymous = [http.get("/api/v2/users").status_code for _ in range(4)]
    assert anonymous == [401, 401, 401, 429]
    forged = [
        http.get("/api/v2/users", headers=bearer("not.a.token")).status_code for _ in range(2)
    ]
    assert forged == [429, 429]  # the same IP address: its count is spent
    assert http.get("/api/v2/users", headers=fresh).status_code == 200


def test_no_limit_and_no_headers_when_rate_limits_are_off(make_app):
    app = make_app(RATELIMIT_ENABLED=False, MANAGEMENT_RATE_LIMIT="1 per hour")
    http, headers = app.test_client(), caller(app)

    answers = [http.get("/api/v2/users", headers=headers) for _ in range(3)]

    assert [a.status_code for a in answers] == [200, 200, 200]
    assert "X-RateLimit-Limit" not in answers[0].headers


def test_the_default_limit(app):
    assert app.config["MANAGEMENT_RATE_LIMIT"] == "10 per second"


# Auth0's Python SDK (auth0-python) over HTTPS


def sdk(server) -> ManagementClient:
    client_id, secret = management_client(server.app)
    return ManagementClient(
        domain=server.url.removeprefix("https://"), client_id=client_id, client_secret=secret
    )


def test_the_sdk_sees_too_many_requests_with_auth0s_body_and_headers(
    live_server, tmp_path, monkeypatch
):
    server = https_live_server(live_server, tmp_path, monkeypatch, **LIMITED)
    api = sdk(server)
    no_retries = {"max_retries": 0}
    for _ in range(3):
        api.users.list_users_by_email(email="ada@example.com", request_options=no_retries)

    with pytest.raises(TooManyRequestsError) as refused:
        api.users.list_users_by_email(email="ada@example.com", request_options=no_retries)

    assert refused.value.body == TOO_MANY
    assert refused.value.headers["x-ratelimit-remaining"] == "0"
    assert int(refused.value.headers["retry-after"]) > 0


def test_the_sdk_waits_out_retry_after_and_gets_its_answer(live_server, tmp_path, monkeypatch):
    server = https_live_server(
        live_server,
        tmp_path,
        monkeypatch,
        RATELIMIT_ENABLED=True,
        MANAGEMENT_RATE_LIMIT="1 per 3 seconds",  # the window starts at the first call
    )
    api = sdk(server)
    api.users.list_users_by_email(email="ada@example.com")

    # Refused at first (within 3 s of the first), the SDK sleeps Retry-After and retries
    assert api.users.list_users_by_email(email="ada@example.com") == []
    with server.app.app_context():
        throttled = select(Event.type).filter_by(type="throttle.management")
        assert db.session.scalars(throttled).all() == ["throttle.management"]
