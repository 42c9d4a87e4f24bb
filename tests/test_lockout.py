"""Wrong codes lock an account for a while (15 minutes, doubling, capped), never for
good; the owner is told once, and still signs in from a browser they used before."""

from __future__ import annotations

import secrets

import pytest
from freezegun import freeze_time
from helpers import LoginPage, RelyingApp, messages_to, visible_text, wrong_code_for

from app.extensions import db
from app.models import Event

EMAIL = "pat@example.com"
LIMIT = 3
DELAY = 900


@pytest.fixture
def app(make_app):
    return make_app(
        RATELIMIT_ENABLED=False,
        ACCOUNT_FAILURE_LIMIT=LIMIT,
        ACCOUNT_LOCK_DELAY=DELAY,
        ACCOUNT_LOCK_MAX_DELAY=4 * DELAY,
    )


@pytest.fixture
def shop(app) -> RelyingApp:
    return RelyingApp.register(app)


class Browser(LoginPage):
    """A browser of its own (its own binding cookie)."""

    def __init__(self, app, shop: RelyingApp):
        super().__init__(app.test_client())
        self.app, self.shop = app, shop

    def ask(self, email: str = EMAIL):
        params = self.shop.authorize_params(nonce=secrets.token_urlsafe(8), prompt="login")
        self.open_authorize(**params)
        started = self.submit_email(email)
        assert started.status_code == 303
        self.open_code_page()
        return started

    def code_sent_here(self) -> str | None:
        """The code of this browser's ticket, if a message went out for it."""
        sent = [m for m in messages_to(self.app, EMAIL) if m.ticket_id == self.ticket_id]
        return sent[-1].code if sent else None

    def can_sign_in(self) -> bool:
        """Ask for a code and type it: whether a code came and signed this browser in."""
        self.ask()
        code = self.code_sent_here()
        return code is not None and self.enter_code(code).status_code == 302


def lock_out(app, shop, failures: int = LIMIT, while_locked: bool = False) -> None:
    """A stranger types wrong codes, each from a new browser (and ticket); unless the
    account is locked already, the first one still gets a code sent."""
    for n in range(failures):
        stranger = Browser(app, shop)
        stranger.ask()
        code = stranger.code_sent_here()
        assert code is not None or while_locked or n > 0
        code = code or "123456"
        assert stranger.enter_code(wrong_code_for(code)).status_code in (400, 403)


def notices(app) -> list:
    return [m for m in messages_to(app, EMAIL) if m.ticket_id is None]


def test_a_lock_ends_by_itself_and_each_further_lock_doubles_up_to_the_cap(app, shop):
    with freeze_time("2026-11-30 10:00:00") as frozen:
        assert Browser(app, shop).can_sign_in()
        lock_out(app, shop)
        assert not Browser(app, shop).can_sign_in()  # a new browser gets no code now
        frozen.tick(DELAY - 5)
        assert not Browser(app, shop).can_sign_in()
        frozen.tick(10)
        lock_out(app, shop)  # the lock is over: strangers' guesses count again
        frozen.tick(2 * DELAY - 5)  # the second lock lasts twice as long
        assert not Browser(app, shop).can_sign_in()
        frozen.tick(10)
        lock_out(app, shop)
        frozen.tick(4 * DELAY - 5)
        assert not Browser(app, shop).can_sign_in()
        frozen.tick(10)
        lock_out(app, shop)
        frozen.tick(4 * DELAY + 5)  # capped: no longer than ACCOUNT_LOCK_MAX_DELAY
        assert Browser(app, shop).can_sign_in()
        lock_out(app, shop)  # a sign-in started the count of locks over
        frozen.tick(DELAY + 5)
        assert Browser(app, shop).can_sign_in()


def test_a_locked_account_gets_no_code_in_a_strangers_browser(app, shop):
    assert Browser(app, shop).can_sign_in()
    lock_out(app, shop)
    before = len(messages_to(app, EMAIL))

    stranger = Browser(app, shop)
    stranger.ask()

    assert len(messages_to(app, EMAIL)) == before
    answer = stranger.enter_code("000000")  # the same answer as for any wrong code
    assert answer.status_code == 400
    assert "That code isn't right" in visible_text(answer.get_data(as_text=True))


def test_the_owners_own_browser_still_signs_in_during_a_lock(app, shop):
    owner = Browser(app, shop)
    assert owner.can_sign_in()
    lock_out(app, shop)

    assert owner.can_sign_in()

    # A sign-in ends the lock for everyone.
    assert Browser(app, shop).can_sign_in()


def test_a_code_sent_before_the_lock_does_not_get_a_stranger_in(app, shop):
    assert Browser(app, shop).can_sign_in()
    stranger = Browser(app, shop)
    stranger.ask()
    code = stranger.code_sent_here()
    lock_out(app, shop)

    refused = stranger.enter_code(code)
    assert refused.status_code == 403
    assert "You can't sign in here" in visible_text(refused.get_data(as_text=True))


def test_the_owner_is_told_once_per_lock_and_at_most_once_a_day(app, shop):
    with freeze_time("2026-11-30 10:00:00") as frozen:
        assert Browser(app, shop).can_sign_in()
        lock_out(app, shop)

        (notice,) = notices(app)
        assert "paused" in notice.subject
        assert "until 2026-11-30 10:15 UTC" in notice.text
        assert "15 minutes" in notice.text
        assert notice.html and "until 2026-11-30 10:15 UTC" in notice.html
        assert not any(ch.isdigit() for ch in notice.subject)  # no code in a notice
        lock_out(app, shop, while_locked=True)  # more guesses during the lock: no second email
        assert len(notices(app)) == 1

        frozen.tick(DELAY + 5)
        lock_out(app, shop)  # a second lock the same day: no second email
        assert len(notices(app)) == 1
        frozen.tick(24 * 3600)
        lock_out(app, shop)
        assert len(notices(app)) == 2
    with app.app_context():
        locked = db.session.query(Event).filter_by(type="login.locked").count()
    assert locked == 3  # guesses during a lock, without a code to guess, start none


def test_unblock_ends_a_lock(app, shop):
    assert Browser(app, shop).can_sign_in()
    lock_out(app, shop)

    assert app.test_cli_runner().invoke(args=["users", "unblock", EMAIL]).exit_code == 0

    assert Browser(app, shop).can_sign_in()


def test_the_notice_speaks_the_apps_language(app, shop):
    from app.accounts.clients import find_client, update_client

    with app.app_context():
        update_client(find_client(shop.client_id), default_language="fr")
    assert Browser(app, shop).can_sign_in()
    lock_out(app, shop)

    (notice,) = notices(app)
    assert "La connexion à Example App est suspendue" in notice.subject
    assert "pendant 15 minutes" in notice.text and 'lang="fr"' in notice.html


@pytest.mark.parametrize("language", ["en", "fr", "de", "es", "it", "nl", "pt-BR", "ja"])
def test_the_notice_renders_in_every_language(app, language):
    from app.messages import overrides

    with app.app_context():
        rendered = overrides.preview("email", "email_account_locked", language)
    assert "2026-11-30 14:05 UTC" in rendered.text and "2026-11-30 14:05 UTC" in rendered.html
    assert "15" in rendered.text and "alice@example.com" in rendered.text
    assert f'lang="{language}"' in rendered.html and "{{" not in rendered.html


def test_the_api_is_no_known_browser_during_a_lock(app, client, shop):
    """API tickets share one binding per app; an earlier API sign-in does not make the
    API a browser the owner used, so during a lock it gets no code either."""
    start = {"client_id": shop.client_id, "client_secret": shop.secret}
    start |= {"connection": "email", "email": EMAIL, "send": "code"}
    assert client.post("/passwordless/start", json=start).status_code == 200
    otp = {"grant_type": "http://auth0.com/oauth/grant-type/passwordless/otp"}
    otp |= {"client_id": shop.client_id, "client_secret": shop.secret, "username": EMAIL}
    otp |= {"otp": messages_to(app, EMAIL)[-1].code, "realm": "email", "scope": "openid"}
    assert client.post("/oauth/token", json=otp).status_code == 200
    lock_out(app, shop)
    before = len(messages_to(app, EMAIL))

    assert client.post("/passwordless/start", json=start).status_code == 200

    assert len(messages_to(app, EMAIL)) == before
