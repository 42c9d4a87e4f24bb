"""Abuse limits: each with its boundary (N allowed, N+1 refused) and its reset."""

from __future__ import annotations

import re
import secrets

import pytest
from freezegun import freeze_time
from helpers import (
    LoginPage,
    RelyingApp,
    form_posting_to,
    messages_to,
    newest_code,
    visible_text,
    wrong_code_for,
)
from sqlalchemy import select

from app.extensions import db
from app.models import Event

EMAIL = "pat@example.com"
LIMITED = {"RATELIMIT_ENABLED": True, "START_RATE_LIMIT": "1000 per hour"}


def person(app, ip: str = "198.51.100.7", **headers: str) -> LoginPage:
    """Someone in a browser at an address; `headers` go on every request."""
    http = app.test_client()
    http.environ_base["REMOTE_ADDR"] = ip
    for name, value in headers.items():
        http.environ_base["HTTP_" + name.upper().replace("-", "_")] = value
    return LoginPage(http)


def start(app, shop: RelyingApp, email: str = EMAIL, ip: str = "198.51.100.7", **headers):
    page = person(app, ip, **headers)
    page.open_authorize(**shop.authorize_params(nonce=secrets.token_urlsafe(8)))
    return page, page.submit_email(email)


def assert_throttled(response) -> int:
    """A 429 page that says when to try again, and says nothing about accounts."""
    assert response.status_code == 429
    retry_after = int(response.headers["Retry-After"])
    assert retry_after > 0
    text = visible_text(response.get_data(as_text=True))
    assert "Too many tries" in text and re.search(r"Please wait .+ and try again", text)
    assert EMAIL not in text and "account" not in text.lower()
    return retry_after


def event_types(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(Event.type).order_by(Event.id)))


# Starts per IP address (Flask-Limiter, START_RATE_LIMIT)


def test_starts_per_ip_allow_n_then_refuse_until_the_window_passes(make_app):
    app = make_app(RATELIMIT_ENABLED=True, START_RATE_LIMIT="3 per hour")
    shop = RelyingApp.register(app)
    with freeze_time() as frozen:
        for n in range(3):
            assert start(app, shop, f"p{n}@example.com")[1].status_code == 303

        _, refused = start(app, shop, "p3@example.com")

        assert_throttled(refused)
        assert messages_to(app, "p3@example.com") == []
        assert "throttle.ip" in event_types(app)
        _, other_ip = start(app, shop, "p3@example.com", ip="203.0.113.9")
        assert other_ip.status_code == 303
        frozen.tick(3601)
        assert start(app, shop, "p4@example.com")[1].status_code == 303


def test_the_default_start_limit_is_auth0s_50_per_hour(app):
    assert app.config["START_RATE_LIMIT"] == "50 per hour"
    assert app.config["RECIPIENT_RATE_LIMIT"] == "5 per 15 minutes"
    assert app.config["FAILED_CODE_LIMIT"] == 10
    assert app.config["ACCOUNT_FAILURE_LIMIT"] == 100


# Starts per recipient (RECIPIENT_RATE_LIMIT)


def test_starts_per_recipient_allow_n_from_any_ip_then_refuse_until_reset(make_app):
    app = make_app(**LIMITED, RECIPIENT_RATE_LIMIT="3 per 15 minutes")
    shop = RelyingApp.register(app)
    with freeze_time() as frozen:
        for n in range(3):
            assert start(app, shop, ip=f"198.51.100.{n}")[1].status_code == 303

        _, refused = start(app, shop, ip="198.51.100.99")

        retry_after = assert_throttled(refused)
        assert 0 < retry_after <= 15 * 60
        assert len(messages_to(app, EMAIL)) == 3
        assert start(app, shop, "someone-else@example.com")[1].status_code == 303
        assert "throttle.recipient" in event_types(app)
        frozen.tick(15 * 60 + 1)
        assert start(app, shop, ip="198.51.100.99")[1].status_code == 303


def test_resends_count_against_the_recipient_limit_from_any_ip(make_app):
    """Inbox bombing through "Resend": the copied form posted from many IPs still
    counts against the address."""
    app = make_app(**LIMITED, RECIPIENT_RATE_LIMIT="3 per 15 minutes")
    shop = RelyingApp.register(app)
    with freeze_time():
        page, _ = start(app, shop)
        page.open_code_page()
        for n in range(2):
            page.client.environ_base["REMOTE_ADDR"] = f"203.0.113.{n}"
            assert page.resend().status_code == 303

        page.client.environ_base["REMOTE_ADDR"] = "203.0.113.99"
        refused = page.resend()

        assert_throttled(refused)
        assert len(messages_to(app, EMAIL)) == 3


def test_recipient_limit_answers_alike_for_known_and_unknown_addresses(make_app):
    app = make_app(**LIMITED, RECIPIENT_RATE_LIMIT="1 per 15 minutes")
    shop = RelyingApp.register(app)
    page, _ = start(app, shop, "known@example.com")
    page.open_code_page()
    page.enter_code(newest_code(app, "known@example.com"))
    with freeze_time() as frozen:
        frozen.tick(16 * 60)
        start(app, shop, "known@example.com")
        start(app, shop, "unknown@example.com")

        known = start(app, shop, "known@example.com")[1]
        unknown = start(app, shop, "unknown@example.com")[1]

    assert known.status_code == unknown.status_code == 429
    assert known.headers["Retry-After"] == unknown.headers["Retry-After"]
    strip = re.compile(r'nonce="[^"]+"|nonce-[^\s;\']+')
    assert strip.sub("", known.get_data(as_text=True)) == strip.sub(
        "", unknown.get_data(as_text=True)
    )


# Failed codes per identifier and IP (FAILED_CODE_LIMIT, growing delay)


def test_failed_codes_per_identifier_and_ip_block_the_pair_with_a_growing_delay(make_app):
    app = make_app(**LIMITED, FAILED_CODE_LIMIT=3, FAILED_CODE_DELAY=60)
    shop = RelyingApp.register(app)
    with freeze_time() as frozen:
        page, _ = start(app, shop)
        page.open_code_page()
        code = newest_code(app, EMAIL)
        for _ in range(3):  # N failures are answered as wrong codes
            assert page.enter_code(wrong_code_for(code)).status_code in (200, 400)
        page.restart()
        page.open_code_page()

        refused = page.enter_code(newest_code(app, EMAIL))  # N+1: even the right code waits

        assert assert_throttled(refused) == 60
        other_ip = person(app, "203.0.113.50")
        other_ip.client.set_cookie(
            app.config["BINDING_COOKIE_NAME"],
            page.client.get_cookie(app.config["BINDING_COOKIE_NAME"]).value,
        )
        other_ip.code_url, other_ip.page = page.code_url, page.page
        assert other_ip.enter_code(wrong_code_for(code)).status_code == 400

        frozen.tick(61)
        page.open_code_page()
        assert page.enter_code(wrong_code_for(code)).status_code == 400  # one more failure
        page.open_code_page()
        assert assert_throttled(page.enter_code(newest_code(app, EMAIL))) == 120  # doubled

        frozen.tick(121)
        page.open_code_page()
        assert page.enter_code(newest_code(app, EMAIL)).status_code == 302  # success clears

        page2, _ = start(app, shop)
        page2.open_code_page()
        for _ in range(2):
            assert page2.enter_code(wrong_code_for(code)).status_code == 400
    assert "throttle.failed_codes" in event_types(app)


# Consecutive failures per account, across tickets (ACCOUNT_FAILURE_LIMIT)


def sign_up(app, shop, email: str = EMAIL) -> None:
    page, _ = start(app, shop, email)
    page.open_code_page()
    assert page.enter_code(newest_code(app, email)).status_code == 302


def failed_logins(app, email: str = EMAIL) -> int:
    with app.app_context():
        from app.accounts import users

        return users.find_by_identity("email", email).failed_logins


def fail_once(app, shop, n: int) -> None:
    page, _ = start(app, shop, ip=f"198.51.100.{n}")
    page.open_code_page()
    assert page.enter_code(wrong_code_for(newest_code(app, EMAIL))).status_code == 400


def test_consecutive_failures_per_account_lock_it_at_the_cap(make_app, runner):
    app = make_app(RATELIMIT_ENABLED=False, ACCOUNT_FAILURE_LIMIT=4)
    shop = RelyingApp.register(app)
    sign_up(app, shop)
    for n in range(3):
        fail_once(app, shop, n)
    assert failed_logins(app) == 3
    page, _ = start(app, shop, ip="198.51.100.50")
    page.open_code_page()
    code = newest_code(app, EMAIL)
    page.enter_code(wrong_code_for(code))  # the 4th consecutive failure locks the account
    messages_before = len(messages_to(app, EMAIL))

    locked = page.enter_code(code)  # even the right code is refused now

    assert locked.status_code == 403
    assert "You can't sign in here" in visible_text(locked.get_data(as_text=True))
    assert "login.locked" in event_types(app)
    start(app, shop, ip="198.51.100.51")  # a locked account gets no message
    assert len(messages_to(app, EMAIL)) == messages_before

    cli = app.test_cli_runner()
    assert cli.invoke(args=["users", "unblock", EMAIL]).exit_code == 0
    assert failed_logins(app) == 0
    sign_up(app, shop)


def test_a_success_resets_the_account_failure_count(make_app):
    app = make_app(RATELIMIT_ENABLED=False, ACCOUNT_FAILURE_LIMIT=4)
    shop = RelyingApp.register(app)
    sign_up(app, shop)
    for n in range(3):
        fail_once(app, shop, n)

    sign_up(app, shop)

    assert failed_logins(app) == 0
    for n in range(3):
        fail_once(app, shop, n)
    sign_up(app, shop)  # still allowed: failures were not consecutive


# Verifications per IP (Flask-Limiter, VERIFY_RATE_LIMIT)


def test_code_checks_per_ip_allow_n_then_refuse(make_app):
    app = make_app(**LIMITED, VERIFY_RATE_LIMIT="2 per hour", FAILED_CODE_LIMIT=100)
    shop = RelyingApp.register(app)
    with freeze_time() as frozen:
        page, _ = start(app, shop)
        page.open_code_page()
        wrong = wrong_code_for(newest_code(app, EMAIL))
        assert page.enter_code(wrong).status_code == 400
        assert page.enter_code(wrong).status_code == 400

        assert_throttled(page.enter_code(newest_code(app, EMAIL)))

        frozen.tick(3601)
        page, _ = start(app, shop)  # the first ticket has expired meanwhile
        page.open_code_page()
        assert page.enter_code(newest_code(app, EMAIL)).status_code == 302


# Client IPs: X-Forwarded-For only from trusted proxies


def test_spoofed_forwarded_for_does_not_reset_the_per_ip_limit(make_app):
    app = make_app(RATELIMIT_ENABLED=True, START_RATE_LIMIT="2 per hour")
    shop = RelyingApp.register(app)
    for n in range(2):
        page, started = start(app, shop, f"p{n}@example.com", X_Forwarded_For=f"10.0.0.{n}")
        assert started.status_code == 303

    _, refused = start(app, shop, "p2@example.com", X_Forwarded_For="10.9.9.9")

    assert refused.status_code == 429


def test_trusted_proxy_count_decides_which_forwarded_address_is_the_client(make_app):
    app = make_app(RATELIMIT_ENABLED=True, START_RATE_LIMIT="2 per hour", TRUSTED_PROXIES=1)
    shop = RelyingApp.register(app)
    # Behind one proxy, the client may prepend anything; the proxy's entry is the last.
    for n in range(2):
        header = f"10.0.0.{n}, 203.0.113.5"
        assert start(app, shop, f"p{n}@example.com", X_Forwarded_For=header)[1].status_code == 303

    _, refused = start(app, shop, "p2@example.com", X_Forwarded_For="10.9.9.9, 203.0.113.5")
    _, other_client = start(app, shop, "p3@example.com", X_Forwarded_For="203.0.113.6")

    assert refused.status_code == 429
    assert other_client.status_code == 303
    with app.app_context():
        ips = db.session.scalars(select(Event.ip).where(Event.type == "login.start")).all()
    assert set(ips) == {"203.0.113.5", "203.0.113.6"}


def test_trusted_proxies_must_be_a_count(make_app):
    from app.config import ConfigError

    with pytest.raises(ConfigError, match="FLASK_TRUSTED_PROXIES"):
        make_app(TRUSTED_PROXIES="yes")


# Many processes: limits live in Redis


@pytest.fixture
def redis_prefix():
    import redis

    prefix = f"latchkey-test-{secrets.token_hex(6)}"
    yield prefix
    server = redis.Redis.from_url("redis://127.0.0.1:6379")
    keys = list(server.scan_iter(f"*{prefix}*"))
    if keys:
        server.delete(*keys)
    server.close()


def test_two_app_instances_sharing_redis_enforce_one_limit(make_app, tmp_path, redis_prefix):
    shared = {
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379",
        "RATELIMIT_KEY_PREFIX": redis_prefix,
        "RECIPIENT_RATE_LIMIT": "3 per 15 minutes",
        "FAILED_CODE_LIMIT": 2,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'shared.sqlite'}",
    }
    one, two = make_app(**shared), make_app(**shared)
    shop = RelyingApp.register(one)

    answers = [start(app, shop, ip=f"198.51.100.{n}")[1] for n, app in enumerate([one, two, one])]
    fourth_on_two = start(two, shop, ip="198.51.100.77")[1]

    assert [a.status_code for a in answers] == [303, 303, 303]
    assert_throttled(fourth_on_two)

    page, _ = start(one, shop, "other@example.com")
    page.open_code_page()
    assert page.enter_code("000000").status_code == 400  # a failure counted by one …
    binding = page.client.get_cookie(one.config["BINDING_COOKIE_NAME"]).value
    page.client = two.test_client()  # … and the same browser, now served by two
    page.client.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    page.client.set_cookie(one.config["BINDING_COOKIE_NAME"], binding)
    page.open_code_page()
    assert page.enter_code("000001").status_code == 400  # the 2nd failure blocks the pair
    page.open_code_page()
    assert_throttled(page.enter_code(newest_code(one, "other@example.com")))


def test_a_json_client_gets_429_json_with_retry_after(make_app):
    app = make_app(**LIMITED, RECIPIENT_RATE_LIMIT="1 per 15 minutes")
    shop = RelyingApp.register(app)
    start(app, shop)
    page = person(app)
    page.open_authorize(**shop.authorize_params(nonce="json"))
    form = form_posting_to(page.page, "/login/start")

    refused = page.client.post(
        "/login/start",
        data={**form.fields, "email": EMAIL},
        headers={"Accept": "application/json"},
    )

    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert refused.get_json()["error"] == "too_many_requests"


# Limits on every request, which an operator may add with Flask-Limiter's own settings
# (FLASK_RATELIMIT_DEFAULT, FLASK_RATELIMIT_APPLICATION): Latchkey sets none, and skips
# Flask-Limiter's per-request check while none is set.


def test_an_operators_default_limit_counts_on_views_without_their_own(make_app):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_DEFAULT="2 per hour")
    http = person(app).client

    assert [http.get("/healthz").status_code for _ in range(3)] == [200, 200, 429]


def test_an_operators_application_limit_counts_across_views(make_app):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_APPLICATION="3 per hour")
    http = person(app).client

    statuses = [
        http.get(path).status_code
        for path in ("/healthz", "/.well-known/openid-configuration", "/healthz", "/readyz")
    ]

    assert statuses == [200, 200, 200, 429]


def test_rate_limit_headers_when_enabled_come_from_the_views_limit(make_app):
    app = make_app(**LIMITED, RATELIMIT_HEADERS_ENABLED=True)
    shop = RelyingApp.register(app)

    _page, started = start(app, shop)
    health = person(app).client.get("/healthz")

    assert started.headers["X-RateLimit-Limit"] == "1000"
    assert int(started.headers["X-RateLimit-Remaining"]) == 999
    assert "X-RateLimit-Limit" not in health.headers
