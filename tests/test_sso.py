"""Single sign-on: the Latchkey session, prompt, max_age, timeouts, logout, blocking
and the "Continue as …?" question before a session swap."""

from __future__ import annotations

import secrets
from http.cookies import SimpleCookie

from freezegun import freeze_time
from helpers import (
    LoginPage,
    RelyingApp,
    form_posting_to,
    messages_to,
    query_of,
    visible_text,
)
from sqlalchemy import select

from app.extensions import db
from app.models import BrowserSession, Event

EMAIL = "pat@example.com"
OTHER = "sam@example.com"
COOKIE = "__Host-latchkey_sso"


def fresh(relying_app: RelyingApp, **overrides: str) -> dict[str, str]:
    return relying_app.authorize_params(nonce=secrets.token_urlsafe(8), **overrides)


def signed_in(app, email: str = EMAIL) -> tuple[LoginPage, RelyingApp]:
    """A browser that signed in to one app (and so holds a Latchkey session)."""
    shop = RelyingApp.register(app, name="Shop")
    page = LoginPage(app.test_client())
    done = page.sign_in(email, **fresh(shop))
    assert done.status_code == 302
    return page, shop


def sso_cookie(response) -> SimpleCookie:
    for header in response.headers.getlist("Set-Cookie"):
        if header.startswith(COOKIE + "="):
            cookie = SimpleCookie()
            cookie.load(header)
            return cookie
    raise AssertionError("no SSO cookie set")


def test_sign_in_sets_a_host_prefixed_httponly_secure_lax_session_cookie(app):
    shop = RelyingApp.register(app)
    page = LoginPage(app.test_client())

    done = page.sign_in(EMAIL, **fresh(shop))

    header = next(h for h in done.headers.getlist("Set-Cookie") if h.startswith(COOKIE))
    attributes = [part.strip().lower() for part in header.split(";")]
    assert "httponly" in attributes and "secure" in attributes
    assert "samesite=lax" in attributes and "path=/" in attributes
    assert not any(part.startswith("domain=") for part in attributes)


def test_debug_over_http_uses_a_plain_cookie_name_without_secure(make_app):
    app = make_app(ISSUER="http://127.0.0.1:5000")
    shop = RelyingApp.register(app)

    done = LoginPage(app.test_client()).sign_in(EMAIL, **fresh(shop))

    header = next(h for h in done.headers.getlist("Set-Cookie") if h.startswith("latchkey_sso="))
    assert "secure" not in header.lower()


def test_a_second_app_skips_the_login_page(app):
    page, _ = signed_in(app)
    blog = RelyingApp.register(app, callbacks=("https://blog.example/cb",), name="Blog")

    answer = page.open_authorize(**fresh(blog))

    assert answer.status_code == 302
    location = answer.headers["Location"]
    assert location.startswith("https://blog.example/cb?")
    code = query_of(location)["code"]
    tokens = blog.exchange(page.client, code).get_json()
    assert "id_token" in tokens
    assert len(messages_to(app, EMAIL)) == 1  # no second message
    with app.app_context():
        assert db.session.scalar(select(Event).where(Event.type == "login.session"))


def test_prompt_none_without_a_session_is_login_required(app):
    shop = RelyingApp.register(app)
    page = LoginPage(app.test_client())

    answer = page.open_authorize(**fresh(shop, prompt="none"))

    assert answer.status_code == 302
    assert query_of(answer.headers["Location"])["error"] == "login_required"


def test_prompt_none_with_a_session_answers_at_once(app):
    page, shop = signed_in(app)

    answer = page.open_authorize(**fresh(shop, prompt="none"))

    assert answer.status_code == 302 and "code" in query_of(answer.headers["Location"])


def test_prompt_login_forces_a_fresh_sign_in(app):
    page, shop = signed_in(app)

    answer = page.open_authorize(**fresh(shop, prompt="login"))

    assert answer.status_code == 200
    assert "Email address" in visible_text(answer.get_data(as_text=True))


def test_max_age_forces_a_fresh_sign_in_once_passed(app):
    with freeze_time() as frozen:
        page, shop = signed_in(app)
        frozen.tick(120)

        recent = page.open_authorize(**fresh(shop, max_age="600"))
        stale = page.open_authorize(**fresh(shop, max_age="60"))
        silent = page.open_authorize(**fresh(shop, max_age="60", prompt="none"))

    assert recent.status_code == 302 and "code" in query_of(recent.headers["Location"])
    assert stale.status_code == 200
    assert query_of(silent.headers["Location"])["error"] == "login_required"


def test_a_login_hint_for_someone_else_shows_the_login_page(app):
    page, shop = signed_in(app)

    answer = page.open_authorize(**fresh(shop, login_hint=OTHER))

    assert answer.status_code == 200


def test_the_session_ends_after_the_idle_timeout(make_app):
    app = make_app(SSO_IDLE_TIMEOUT=600, SSO_ABSOLUTE_TIMEOUT=3600)
    with freeze_time() as frozen:
        page, shop = signed_in(app)
        frozen.tick(599)
        assert page.open_authorize(**fresh(shop)).status_code == 302  # use keeps it alive
        frozen.tick(601)

        assert page.open_authorize(**fresh(shop)).status_code == 200


def test_the_session_ends_at_the_absolute_timeout_even_when_used(make_app):
    app = make_app(SSO_IDLE_TIMEOUT=600, SSO_ABSOLUTE_TIMEOUT=1500)
    with freeze_time() as frozen:
        page, shop = signed_in(app)
        for _ in range(2):
            frozen.tick(500)
            assert page.open_authorize(**fresh(shop)).status_code == 302
        frozen.tick(501)

        assert page.open_authorize(**fresh(shop)).status_code == 200


def test_signing_in_again_gives_a_new_session_id_and_ends_the_old_one(app):
    page, shop = signed_in(app)
    old = page.client.get_cookie(COOKIE).value
    page.open_authorize(**fresh(shop, prompt="login"))
    page.submit_email(EMAIL)
    page.open_code_page()

    done = page.enter_code(page.read_code(EMAIL))

    new = sso_cookie(done)[COOKIE].value
    assert new != old
    thief = app.test_client()
    thief.set_cookie(COOKIE, old)
    assert LoginPage(thief).open_authorize(**fresh(shop)).status_code == 200


def test_logout_ends_the_session_and_clears_the_cookie(app):
    page, shop = signed_in(app)
    cookie = page.client.get_cookie(COOKIE).value

    asked = page.client.get("/logout")
    assert replayed_still_signed_in(app, shop, cookie)  # a bare GET only asks
    confirm = form_posting_to(asked.get_data(as_text=True), "/logout")
    out = page.client.post("/logout", data=confirm.fields)

    assert out.status_code == 200
    assert any(
        h.startswith(COOKIE + "=;") or "Max-Age=0" in h for h in out.headers.getlist("Set-Cookie")
    )
    replay = app.test_client()
    replay.set_cookie(COOKIE, cookie)
    assert LoginPage(replay).open_authorize(**fresh(shop)).status_code == 200


def replayed_still_signed_in(app, shop, cookie: str) -> bool:
    other = app.test_client()
    other.set_cookie(COOKIE, cookie)
    return LoginPage(other).open_authorize(**fresh(shop)).status_code == 302


def test_blocking_a_user_ends_their_sessions(app):
    page, shop = signed_in(app)
    laptop = LoginPage(app.test_client())
    laptop.sign_in(EMAIL, **fresh(shop))

    result = app.test_cli_runner().invoke(args=["users", "block", EMAIL])

    assert result.exit_code == 0, result.output
    with app.app_context():
        live = db.session.scalars(
            select(BrowserSession).where(BrowserSession.ended_at.is_(None))
        ).all()
    assert live == []
    assert page.open_authorize(**fresh(shop)).status_code == 200
    assert laptop.open_authorize(**fresh(shop)).status_code == 200


def test_a_different_user_is_asked_continue_as_before_the_switch(app):
    page, shop = signed_in(app)
    page.open_authorize(**fresh(shop, prompt="login"))

    asked = page.submit_email(OTHER)

    assert asked.status_code == 200
    text = visible_text(asked.get_data(as_text=True))
    assert f"Continue as {OTHER}?" in text
    assert f"You are signed in as {EMAIL}" in text
    assert messages_to(app, OTHER) == []  # nothing happens until the person confirms

    confirm = form_posting_to(page.page, "/login/start")
    started = page.client.post("/login/start", data=confirm.fields)
    assert started.status_code == 303
    page.code_url = started.headers["Location"]
    page.open_code_page()
    done = page.enter_code(page.read_code(OTHER))
    assert done.status_code == 302
    with app.app_context():
        live = db.session.scalars(
            select(BrowserSession).where(BrowserSession.ended_at.is_(None))
        ).all()
    assert [s.recipient for s in live] == [OTHER]


def test_the_same_user_signing_in_again_is_not_asked(app):
    page, shop = signed_in(app)
    page.open_authorize(**fresh(shop, prompt="login"))

    assert page.submit_email(EMAIL).status_code == 303


def test_a_magic_link_sign_in_starts_a_session_too(app):
    from app.accounts.connections import update_connection

    with app.app_context():
        update_connection("email", send="link")
    shop = RelyingApp.register(app)
    page = LoginPage(app.test_client())
    page.open_authorize(**fresh(shop))
    page.follow(page.submit_email(EMAIL))
    link = messages_to(app, EMAIL)[-1].link
    opened = page.client.get(link[len(app.config["ISSUER"]) :])
    form = form_posting_to(opened.get_data(as_text=True), "/login/link/")

    done = page.client.post(form.action, data=form.fields)

    assert done.status_code == 302
    assert sso_cookie(done)[COOKIE].value
    assert page.open_authorize(**fresh(shop)).status_code == 302


def test_a_phone_sign_in_for_someone_else_is_asked_too(app):
    page, _ = signed_in(app)
    both = RelyingApp.register(app, connections=("email", "sms"), name="Both")
    page.open_authorize(**fresh(both, connection="sms", prompt="login"))

    asked = page.submit_phone("(415) 555-2671", "US")

    text = visible_text(asked.get_data(as_text=True))
    assert asked.status_code == 200
    assert "Continue as +1 415-555-2671?" in text and "Use another number" in text
    assert messages_to(app, "+14155552671") == []
    confirm = form_posting_to(page.page, "/login/start/sms")
    assert page.client.post(confirm.action, data=confirm.fields).status_code == 303
    assert len(messages_to(app, "+14155552671")) == 1
