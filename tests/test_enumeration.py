"""Account enumeration: the start step answers alike for every kind of address."""

from __future__ import annotations

import re

from helpers import LoginPage, RelyingApp, messages_to, newest_code, visible_text

from app.accounts import connections, users
from app.extensions import db

KINDS = {
    "known": "known1@example.com",
    "unknown": "nobody@example.com",
    "blocked": "blockd@example.com",
    "refused": "refusd@example.com",
}
SECRETS = [
    re.compile(r'name="csrf_token" type="hidden" value="[^"]*"'),
    re.compile(r'nonce="[^"]+"'),
    re.compile(r"'nonce-[^']+'"),
    re.compile(r"/login/(code|resend|restart|change|delivery)/[A-Za-z0-9_-]+"),
]


def normalized(text: str, email: str) -> str:
    """The page with CSRF tokens, CSP nonces, ticket ids and the typed address removed."""
    for pattern in SECRETS:
        text = pattern.sub("<removed>", text)
    return text.replace(email, "<address>")


def answers_for(app, shop: RelyingApp, email: str) -> dict[str, object]:
    """Everything the person (or a script) sees after typing `email`."""
    page = LoginPage(app.test_client())
    page.open_authorize(**shop.authorize_params())
    started = page.submit_email(email)
    shown = page.open_code_page()
    return {
        "start_status": started.status_code,
        "start_headers": sorted(
            (k, normalized(v, email))
            for k, v in started.headers.items()
            if k not in ("Set-Cookie", "Content-Security-Policy", "X-Request-ID")
        ),
        "start_body": normalized(started.get_data(as_text=True), email),
        "page_status": shown.status_code,
        "page_headers": sorted(
            (k, v)
            for k, v in shown.headers.items()
            if k not in ("Content-Security-Policy", "X-Request-ID")  # random per request
        ),
        "page_body": normalized(shown.get_data(as_text=True), email),
    }


def close_signup(app) -> None:
    with app.app_context():
        connections.update_connection("email", signup_allowed=False)
        db.session.commit()


def asks_a_code(app, shop: RelyingApp, email: str):
    page = LoginPage(app.test_client())
    page.open_authorize(**shop.authorize_params())
    return page.submit_email(email)


def prepare(app, shop: RelyingApp) -> None:
    page = LoginPage(app.test_client())
    page.sign_in(KINDS["known"], **shop.authorize_params(nonce="first"))
    other = LoginPage(app.test_client())
    other.sign_in(KINDS["blocked"], **shop.authorize_params(nonce="second"))
    with app.app_context():
        users.set_blocked(users.find_by_identity("email", KINDS["blocked"]), True)


def test_known_unknown_blocked_and_refused_addresses_get_byte_identical_answers(app):
    shop = RelyingApp.register(app)
    prepare(app, shop)

    seen = {kind: answers_for(app, shop, KINDS[kind]) for kind in ("known", "unknown", "blocked")}
    close_signup(app)
    seen["refused"] = answers_for(app, shop, KINDS["refused"])

    assert seen["known"]["start_status"] == 303
    for kind in ("unknown", "blocked", "refused"):
        assert seen[kind] == seen["known"], kind
    assert len(messages_to(app, KINDS["blocked"])) == 1  # only the one before blocking
    assert messages_to(app, KINDS["refused"]) == []


def test_the_explicit_signup_disabled_error_is_opt_in(make_app):
    app = make_app(SIGNUP_DISABLED_ERROR=True)
    shop = RelyingApp.register(app)
    close_signup(app)

    refused = asks_a_code(app, shop, "stranger@example.com")

    assert refused.status_code == 400
    assert "Sign-up is disabled" in visible_text(refused.get_data(as_text=True))
    assert messages_to(app, "stranger@example.com") == []


def test_unknown_address_may_get_a_no_account_notice_without_a_code(make_app):
    app = make_app(NOTIFY_UNKNOWN_RECIPIENT=True)
    shop = RelyingApp.register(app)
    close_signup(app)

    assert asks_a_code(app, shop, "stranger@example.com").status_code == 303

    [notice] = messages_to(app, "stranger@example.com")
    assert "there is no account" in notice.text
    assert not re.search(r"\b\d{4,12}\b", notice.text + notice.subject)
    assert "there is no account" in (notice.html or "")


def test_without_the_setting_an_unknown_address_gets_nothing(app):
    shop = RelyingApp.register(app)
    close_signup(app)
    asks_a_code(app, shop, "stranger@example.com")

    assert messages_to(app, "stranger@example.com") == []


def test_a_known_address_still_gets_its_code_with_the_notice_turned_on(make_app):
    app = make_app(NOTIFY_UNKNOWN_RECIPIENT=True)
    shop = RelyingApp.register(app)
    page = LoginPage(app.test_client())
    page.sign_in("known@example.com", **shop.authorize_params())

    assert newest_code(app, "known@example.com")
