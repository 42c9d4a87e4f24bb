"""Magic links: scanners burn nothing, the asking browser signs in with one click,
another browser never signs in silently (number, code, or "continue here")."""

from __future__ import annotations

from datetime import timedelta

import pytest
from freezegun import freeze_time
from helpers import (
    LoginPage,
    RelyingApp,
    csrf_token,
    form_posting_to,
    messages_to,
    pkce_pair,
    query_of,
    visible_text,
)
from sqlalchemy import select

from app.accounts.connections import update_connection
from app.extensions import db
from app.models import Client, Event, LoginTicket

EMAIL = "ada@example.com"
ISSUER = "https://latchkey.test"
SAFARI_ON_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)
CHROME_ON_MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
)
SCANNER = "Mozilla/5.0 (compatible; Microsoft Outlook SafeLinks; +https://aka.ms/safelinks)"


def set_send(app, send: str, **settings) -> None:
    with app.app_context():
        update_connection("email", send=send, **settings)


@pytest.fixture
def relying(app):
    set_send(app, "link")
    return RelyingApp.register(app)


class Browser(LoginPage):
    """A person's browser on the hosted pages (its own cookies)."""

    def __init__(self, app, user_agent: str = CHROME_ON_MAC):
        super().__init__(app.test_client())
        self.client.environ_base["HTTP_USER_AGENT"] = user_agent

    def ask_for_link(self, relying: RelyingApp, email: str = EMAIL):
        self.open_authorize(**relying.authorize_params())
        started = self.submit_email(email)
        assert started.status_code == 303
        assert started.headers["Location"].startswith("/login/wait/")
        return self.follow(started)

    @property
    def ticket_id(self) -> str:
        return self.code_url.split("?")[0].rsplit("/", 1)[-1]

    def open_waiting_page(self):
        return self._saw(self.client.get(f"/login/wait/{self.ticket_id}"))

    def open(self, link: str, **kwargs):
        return self._saw(self.client.get(path_of(link), **kwargs))

    def press(self, path_prefix: str, **fields: str):
        """Press the button of the form posting to `path_prefix` on the current page."""
        form = form_posting_to(self.page, path_prefix)
        return self._saw(self.client.post(form.action, data={**form.fields, **fields}))


def path_of(link: str) -> str:
    assert link.startswith(ISSUER + "/login/link/"), link
    return link[len(ISSUER) :]


def newest_link(app, email: str = EMAIL) -> str:
    return messages_to(app, email)[-1].link


def reaches_callback(response, relying: RelyingApp) -> bool:
    return response.status_code == 302 and response.headers["Location"].startswith(relying.callback)


def ticket(app, ticket_id: str) -> LoginTicket:
    with app.app_context():
        row = db.session.get(LoginTicket, ticket_id)
        db.session.expunge(row)
        return row


# --- The email --------------------------------------------------------------------


def test_link_email_carries_the_link_and_the_code_in_small_print(app, relying):
    Browser(app).ask_for_link(relying)

    message = messages_to(app, EMAIL)[-1]
    assert message.subject == "Sign in to Example App"
    assert message.link.startswith(f"{ISSUER}/login/link/")
    assert f"type the code {message.code} where you started" in message.text
    assert f'href="{message.link}"' in message.html


def test_both_sends_the_link_and_a_prominent_code(app):
    set_send(app, "both")
    relying = RelyingApp.register(app)
    Browser(app).ask_for_link(relying)

    message = messages_to(app, EMAIL)[-1]
    assert message.link
    assert "Or type this code in the window where you asked to sign in" in message.text


def test_code_mode_still_sends_a_code_and_no_link(app):
    relying = RelyingApp.register(app)
    page = Browser(app)
    page.open_authorize(**relying.authorize_params())
    assert page.submit_email(EMAIL).headers["Location"].startswith("/login/code/")
    assert "/login/link/" not in messages_to(app, EMAIL)[-1].text


def test_link_host_comes_from_the_issuer_not_a_spoofed_host(make_app):
    app = make_app(WTF_CSRF_ENABLED=False)  # the test client keeps cookies per host
    set_send(app, "link")
    relying = RelyingApp.register(app)
    page = Browser(app)
    page.client.environ_base["HTTP_X_FORWARDED_HOST"] = "evil.example"
    page.open_authorize(**relying.authorize_params())
    form = form_posting_to(page.page, "/login/start")
    started = page.client.post(
        "/login/start",
        data={**form.fields, "email": EMAIL},
        headers={"Host": "evil.example", "X-Forwarded-Host": "evil.example"},
    )
    assert started.status_code == 303

    link = newest_link(app)
    assert link.startswith(f"{ISSUER}/login/link/")
    assert "evil.example" not in messages_to(app, EMAIL)[-1].text


def test_only_a_hash_of_the_link_nonce_is_stored(app, relying):
    page = Browser(app)
    page.ask_for_link(relying)
    row = ticket(app, page.ticket_id)
    assert len(row.link_nonce_hash) == 64
    token = newest_link(app).rsplit("/", 1)[-1]
    assert row.link_nonce_hash not in token


# --- Scanners -------------------------------------------------------------------------


def test_scanners_do_not_burn_the_link(app, relying):
    first = Browser(app)
    first.ask_for_link(relying)
    link = path_of(newest_link(app))

    scanner = app.test_client()
    assert scanner.head(link).status_code == 200
    plain = scanner.get(link)
    assert plain.status_code == 200
    assert "opened in another browser" in visible_text(plain.get_data(as_text=True))
    assert scanner.get(link, headers={"User-Agent": SCANNER}).status_code == 200
    followed = app.test_client().get(link, follow_redirects=True)
    assert followed.status_code == 200
    assert not followed.history  # nothing to follow: no redirect toward the app

    assert ticket(app, first.ticket_id).consumed_at is None
    done = first.open(newest_link(app))
    assert reaches_callback(first.press("/login/link/"), relying)
    assert done.status_code == 200


def test_link_pages_are_not_stored_and_load_nothing_from_elsewhere(app, relying):
    Browser(app).ask_for_link(relying)
    response = app.test_client().get(path_of(newest_link(app)))

    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    html = response.get_data(as_text=True)
    assert 'src="http' not in html and 'href="http' not in html


# --- Same browser ---------------------------------------------------------------------


def test_same_browser_one_click_to_the_callback(app, relying):
    page = Browser(app)
    page.ask_for_link(relying)

    opened = page.open(newest_link(app))
    assert opened.status_code == 200
    html = opened.get_data(as_text=True)
    assert "Continue signing in to Example App" in visible_text(html)
    assert 'document.getElementById("lk-continue").submit()' in html
    done = page.press("/login/link/")
    assert reaches_callback(done, relying)
    assert query_of(done.headers["Location"])["state"] == relying.state

    tokens = relying.exchange(page.client, query_of(done.headers["Location"])["code"])
    assert tokens.status_code == 200


def test_a_resent_email_carries_the_same_working_link(app, relying):
    page = Browser(app)
    waiting = page.ask_for_link(relying)
    assert "Check your email" in visible_text(waiting.get_data(as_text=True))
    first_link = newest_link(app)

    resent = page.press("/login/resend/")
    assert resent.headers["Location"].startswith(f"/login/wait/{page.ticket_id}")
    assert "We sent the email again." in visible_text(page.follow(resent).get_data(as_text=True))
    assert len(messages_to(app, EMAIL)) == 2
    assert newest_link(app) == first_link
    page.open(first_link)
    assert reaches_callback(page.press("/login/link/"), relying)


def test_waiting_page_shows_where_the_message_went_and_offers_a_code(app, relying):
    page = Browser(app)
    text = visible_text(page.ask_for_link(relying).get_data(as_text=True))
    assert f"We sent you a link to sign in to {EMAIL}" in text
    assert "Use a code instead" in text

    page.client.get(f"/login/code/{page.ticket_id}")
    done = page.enter_code(page.read_code(EMAIL), ticket_id=page.ticket_id)
    assert reaches_callback(done, relying)


# --- Another browser --------------------------------------------------------------------


def test_other_browser_shows_who_asked_and_never_signs_in_by_itself(app, relying):
    Browser(app).ask_for_link(relying)
    phone = Browser(app, SAFARI_ON_IPHONE)

    opened = phone.open(newest_link(app))
    text = visible_text(opened.get_data(as_text=True))
    assert "This link was opened in another browser" in text
    assert "Asked from Chrome on macOS" in text
    assert "Continue on this device instead" not in text  # the app has no initiate-login URL
    assert "lk-continue" not in opened.get_data(as_text=True)

    # Posting the same-browser form from here leads back to the choices, not the app.
    posted = phone.client.post(
        path_of(newest_link(app)), data={"csrf_token": csrf_token(phone.page)}
    )
    assert posted.status_code == 303
    assert posted.headers["Location"] == path_of(newest_link(app))
    refused_here = phone.client.post(
        path_of(newest_link(app)) + "/here", data={"csrf_token": csrf_token(phone.page)}
    )
    assert refused_here.status_code == 303
    assert not reaches_callback(refused_here, relying)


def test_other_browser_approves_with_the_number_and_the_first_finishes(app, relying):
    laptop = Browser(app)
    waiting = laptop.ask_for_link(relying)
    number = ticket(app, laptop.ticket_id).match_number
    assert number in visible_text(waiting.get_data(as_text=True))
    assert laptop.client.get(f"/login/wait/{laptop.ticket_id}/status").json == {"status": "waiting"}

    phone = Browser(app, SAFARI_ON_IPHONE)
    phone.open(newest_link(app))
    approved = phone.press("/login/link/", number=number)
    assert approved.status_code == 200
    assert "Sign-in approved" in visible_text(approved.get_data(as_text=True))
    assert not reaches_callback(approved, relying)

    status = laptop.client.get(f"/login/wait/{laptop.ticket_id}/status")
    assert status.json == {"status": "approved"}
    page = laptop.open_waiting_page()
    assert "Approved on your other device" in visible_text(page.get_data(as_text=True))
    done = laptop.press(f"/login/wait/{laptop.ticket_id}/finish")
    assert reaches_callback(done, relying)
    tokens = relying.exchange(laptop.client, query_of(done.headers["Location"])["code"])
    assert tokens.status_code == 200


def test_a_wrong_number_ends_the_sign_in(app, relying):
    laptop = Browser(app)
    laptop.ask_for_link(relying)
    number = ticket(app, laptop.ticket_id).match_number
    wrong = str(10 + (int(number) - 10 + 1) % 90)

    phone = Browser(app, SAFARI_ON_IPHONE)
    phone.open(newest_link(app))
    refused = phone.press("/login/link/", number=wrong)
    text = visible_text(refused.get_data(as_text=True))
    assert "That number didn't match" in text
    assert "Send a new link" in text

    assert laptop.client.get(f"/login/wait/{laptop.ticket_id}/status").json == {
        "status": "attempts"
    }
    again = phone.client.get(path_of(newest_link(app)))
    assert "This link no longer works" in visible_text(again.get_data(as_text=True))
    laptop.open(newest_link(app))
    assert not reaches_callback(laptop.press("/login/link/"), relying)
    laptop.client.get(f"/login/code/{laptop.ticket_id}")
    assert not reaches_callback(laptop.enter_code(laptop.read_code(EMAIL)), relying)


def test_other_browser_points_to_the_code_for_the_first_device(app, relying):
    laptop = Browser(app)
    laptop.ask_for_link(relying)
    phone = Browser(app, SAFARI_ON_IPHONE)
    text = visible_text(phone.open(newest_link(app)).get_data(as_text=True))
    assert "type the 6-digit code from the same email on that device" in text

    laptop.client.get(f"/login/code/{laptop.ticket_id}")
    done = laptop.enter_code(laptop.read_code(EMAIL), ticket_id=laptop.ticket_id)
    assert reaches_callback(done, relying)


def test_continue_here_after_an_explicit_step_through_initiate_login(app, relying):
    with app.app_context():
        client = db.session.scalars(select(Client).filter_by(client_id=relying.client_id)).one()
        client.initiate_login_uri = "https://app.example/login"
        db.session.commit()
    laptop = Browser(app)
    laptop.ask_for_link(relying)
    phone = Browser(app, SAFARI_ON_IPHONE)
    link = newest_link(app)

    choices = phone.open(link)
    assert "Continue on this device instead" in visible_text(choices.get_data(as_text=True))
    asked = phone.client.get(path_of(link) + "/here")
    assert f"Continue as {EMAIL}?" in visible_text(asked.get_data(as_text=True))
    phone._saw(asked)
    assert ticket(app, laptop.ticket_id).consumed_at is None  # looking changes nothing

    handed = phone.press(path_of(link) + "/here")
    assert handed.status_code == 302
    location = handed.headers["Location"]
    assert location.startswith("https://app.example/login?")
    assert query_of(location) == {"iss": ISSUER, "login_hint": EMAIL}

    # The app starts a fresh flow in this browser, which signs in without a new email.
    verifier, challenge = pkce_pair()
    phone_app = RelyingApp(
        relying.client_id, relying.secret, relying.callback, "regular", verifier, challenge
    )
    done = phone.client.get("/authorize", query_string=phone_app.authorize_params())
    assert reaches_callback(done, relying)
    assert query_of(done.headers["Location"])["state"] == phone_app.state
    tokens = phone_app.exchange(phone.client, query_of(done.headers["Location"])["code"])
    assert tokens.status_code == 200
    assert len(messages_to(app, EMAIL)) == 1

    # This browser now has a Latchkey session: the next authorize request signs in too,
    # and the laptop's waiting page knows the link was used.
    again = phone.client.get(
        "/authorize", query_string=phone_app.authorize_params(nonce="n-2", state="s-2")
    )
    assert reaches_callback(again, relying)
    assert laptop.client.get(f"/login/wait/{laptop.ticket_id}/status").json == {"status": "used"}


def test_continue_here_starts_a_session_that_prompt_login_still_overrides(app, relying):
    with app.app_context():
        client = db.session.scalars(select(Client).filter_by(client_id=relying.client_id)).one()
        client.initiate_login_uri = "https://app.example/login"
        db.session.commit()
    Browser(app).ask_for_link(relying)
    phone = Browser(app, SAFARI_ON_IPHONE)
    phone.open(newest_link(app) + "/here")
    phone.press(path_of(newest_link(app)) + "/here")

    shown = phone.client.get("/authorize", query_string=relying.authorize_params(prompt="login"))
    assert shown.status_code == 200
    assert "Enter your email" in visible_text(shown.get_data(as_text=True))


def test_continue_here_signs_in_only_to_the_app_that_opted_in(app, relying):
    """The session a link opened elsewhere leaves in this browser serves the app with an
    initiate-login URL; another app asks this browser to sign in again."""
    with app.app_context():
        client = db.session.scalars(select(Client).filter_by(client_id=relying.client_id)).one()
        client.initiate_login_uri = "https://app.example/login"
        db.session.commit()
    other = RelyingApp.register(app, callbacks=("https://other.example/cb",), name="Other")
    Browser(app).ask_for_link(relying)
    phone = Browser(app, SAFARI_ON_IPHONE)
    phone.open(newest_link(app) + "/here")
    assert phone.press(path_of(newest_link(app)) + "/here").status_code == 302

    shown = phone.client.get("/authorize", query_string=other.authorize_params())
    assert shown.status_code == 200
    assert "Enter your email" in visible_text(shown.get_data(as_text=True))
    silent = phone.client.get("/authorize", query_string=other.authorize_params(prompt="none"))
    assert silent.status_code == 302
    assert query_of(silent.headers["Location"])["error"] == "login_required"
    # The app that opted in is still answered at once.
    assert reaches_callback(
        phone.client.get("/authorize", query_string=relying.authorize_params(nonce="n-3")),
        relying,
    )


# --- Links that no longer work ------------------------------------------------------------


def test_a_used_link_says_so_and_offers_a_new_one(app, relying):
    page = Browser(app)
    page.ask_for_link(relying)
    link = newest_link(app)
    page.open(link)
    assert reaches_callback(page.press("/login/link/"), relying)

    reused = page.open(link)
    text = visible_text(reused.get_data(as_text=True))
    assert "This link was already used" in text
    sent = page.press("/login/link/")
    assert sent.status_code == 303
    assert sent.headers["Location"].startswith("/login/wait/")
    assert len(messages_to(app, EMAIL)) == 2
    assert newest_link(app) != link
    page.open(newest_link(app))
    assert reaches_callback(page.press("/login/link/"), relying)


def test_an_expired_link_says_so_and_sends_a_new_one_once(app, relying):
    with freeze_time("2030-01-01 12:00:00") as clock:
        page = Browser(app)
        page.ask_for_link(relying)
        link = newest_link(app)
        clock.tick(timedelta(seconds=301))

        phone = Browser(app, SAFARI_ON_IPHONE)
        expired = phone.open(link)
        assert "This link has expired" in visible_text(expired.get_data(as_text=True))
        sent = phone.press("/login/link/")
        assert "We sent a new link to" in visible_text(sent.get_data(as_text=True))
        phone.open(link)
        phone.press("/login/link/")
        assert len(messages_to(app, EMAIL)) == 2  # pressing twice sends one link

        # The first browser's waiting page follows the new ticket.
        replaced = page.client.get(f"/login/wait/{page.ticket_id}/status").json
        assert replaced["status"] == "replaced"
        page.open(newest_link(app))
        assert reaches_callback(page.press("/login/link/"), relying)


@pytest.mark.parametrize(
    "change",
    [
        lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        lambda token: token[: len(token) // 2],
        lambda token: "x" + token,
        lambda token: "%00%ff",
        lambda token: "a" * 900,
    ],
    ids=["signature", "cut-short", "prefixed", "garbage", "long"],
)
def test_a_tampered_link_says_so_without_signing_in(app, relying, change):
    page = Browser(app)
    page.ask_for_link(relying)
    link = newest_link(app)
    token = link.rsplit("/", 1)[-1]

    response = page.client.get("/login/link/" + change(token))
    assert response.status_code in (400, 404)
    if response.status_code == 400:
        text = visible_text(response.get_data(as_text=True))
        assert "This link is not complete" in text
        assert "Send a new link" not in text
    assert page.client.post("/login/link/" + change(token)).status_code in (400, 404)
    assert ticket(app, page.ticket_id).consumed_at is None


def test_a_link_with_another_tickets_nonce_is_refused(app, relying):
    from app.signin.link_tokens import magic_link_for

    page = Browser(app)
    page.ask_for_link(relying)
    with app.test_request_context():
        forged = magic_link_for(page.ticket_id, "not-the-nonce")
    response = page.open(forged)
    assert response.status_code == 400
    assert ticket(app, page.ticket_id).consumed_at is None


def test_send_a_new_link_is_rate_limited_per_link(make_app):
    app = make_app(RATELIMIT_ENABLED=True, LINK_RENEW_RATE_LIMIT="2 per hour")
    set_send(app, "link")
    relying = RelyingApp.register(app)
    page = Browser(app)
    page.ask_for_link(relying)
    link = newest_link(app)
    page.open(link)
    page.press("/login/link/")
    page.open(link)

    statuses = [
        page.client.post(
            path_of(link) + "/renew", data={"csrf_token": csrf_token(page.page)}
        ).status_code
        for _ in range(3)
    ]
    assert statuses[:2] == [303, 303]
    assert statuses[2] == 429


def other_spellings(token: str) -> list[str]:
    """The same token with each other spelling of its last character: a base64url
    signature's last character carries 2 unused bits, which the decoder ignores."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    value = alphabet.index(token[-1])
    spellings = [alphabet[(value & ~3) | low] for low in range(4)]
    return [token[:-1] + ch for ch in spellings if ch != token[-1]]


def test_the_renew_limit_counts_the_link_however_its_signature_is_spelled(make_app):
    app = make_app(RATELIMIT_ENABLED=True, LINK_RENEW_RATE_LIMIT="2 per hour")
    set_send(app, "link")
    relying = RelyingApp.register(app)
    page = Browser(app)
    page.ask_for_link(relying)
    link = newest_link(app)
    page.open(link)
    page.press("/login/link/")
    page.open(link)
    token = link.rsplit("/", 1)[-1]
    spellings = [token, *other_spellings(token)]
    assert len(spellings) == 4
    assert all(page.client.get("/login/link/" + s).status_code == 200 for s in spellings)

    statuses = [
        page.client.post(
            f"/login/link/{spelling}/renew", data={"csrf_token": csrf_token(page.page)}
        ).status_code
        for spelling in spellings
    ]
    assert statuses == [303, 303, 429, 429]


def test_events_never_hold_the_link_or_the_number(app, relying):
    laptop = Browser(app)
    laptop.ask_for_link(relying)
    number = ticket(app, laptop.ticket_id).match_number
    phone = Browser(app, SAFARI_ON_IPHONE)
    phone.open(newest_link(app))
    phone.press("/login/link/", number=number)
    token = newest_link(app).rsplit("/", 1)[-1]
    with app.app_context():
        dumped = " ".join(repr(e.detail) for e in db.session.scalars(select(Event)))
        types = [e.type for e in db.session.scalars(select(Event))]
    assert token not in dumped and token[:20] not in dumped
    assert "login.link_approved" in types


@pytest.mark.parametrize(
    "page", ["login/link_here.html", "login/link_sent.html", "login/wait.html"]
)
def test_link_pages_escape_what_they_show(app, page):
    import flask

    from app.look import themes
    from app.web.forms import ActionForm

    hostile = '<script>alert("x")</script>'
    with app.test_request_context():
        flask.g.csp_nonce = "n"
        html = flask.render_template(
            themes.template_for(page, "lock"),
            client=None,
            token="t",
            ticket_id="t",
            recipient=hostile,
            match_number="42",
            approved=False,
            form=ActionForm(formdata=None),
            resend_form=ActionForm(formdata=None),
            finish_form=ActionForm(formdata=None),
            back_url="/authorize",
        )
    assert hostile not in html
    assert "&lt;script&gt;" in html
