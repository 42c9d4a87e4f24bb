"""The hosted login page's email code: what a person sees, and what an attacker cannot do."""

from __future__ import annotations

import pytest
from freezegun import freeze_time
from helpers import (
    LoginPage,
    RelyingApp,
    all_messages,
    csrf_token,
    form_posting_to,
    messages_to,
    query_of,
    visible_text,
    wrong_code_for,
)
from sqlalchemy import func, select, text

from app.accounts import users
from app.accounts.connections import get_connection, update_connection
from app.extensions import db
from app.models import Event, LoginTicket, OutboxMessage, User

# The test config has an https issuer, so the binding cookie has the __Host- prefix.
BINDING = "__Host-latchkey_binding"

EMAIL = "pat@example.com"


@pytest.fixture
def shop(app) -> RelyingApp:
    return RelyingApp.register(app, callbacks=("https://app.example/cb",))


@pytest.fixture
def page(client, shop) -> LoginPage:
    """A person who followed the app's link and sees "Enter your email"."""
    login = LoginPage(client)
    assert login.open_authorize(**shop.authorize_params()).status_code == 200
    return login


@pytest.fixture
def waiting(page) -> LoginPage:
    """A person who asked for a code and sees the code page."""
    assert page.submit_email(EMAIL).status_code == 303
    assert page.open_code_page().status_code == 200
    return page


def assert_signed_in(response, relying_app: RelyingApp) -> None:
    assert response.status_code == 302, visible_text(response.get_data(as_text=True))
    location = response.headers["Location"]
    assert location.startswith(relying_app.callback + "?")
    query = query_of(location)
    assert query["state"] == relying_app.state and query["code"]


def assert_not_signed_in(response) -> str:
    assert "Location" not in response.headers
    return visible_text(response.get_data(as_text=True))


def tickets(app) -> list[LoginTicket]:
    with app.app_context():
        rows = db.session.scalars(select(LoginTicket).order_by(LoginTicket.created_at)).all()
        db.session.expunge_all()
        return rows


def set_signup(app, allowed: bool) -> None:
    with app.app_context():
        get_connection("email").signup_allowed = allowed
        db.session.commit()


def existing_user(app, email: str, blocked: bool = False) -> None:
    with app.app_context():
        user = users.create_with_identity("email", email)
        user.blocked = blocked
        db.session.commit()


# The happy path and what the pages say


def test_code_page_says_where_the_code_went(waiting):
    page = visible_text(waiting.page)

    assert "We sent a code to pat@example.com" in page
    assert 'autocomplete="one-time-code"' in waiting.page
    assert 'inputmode="numeric"' in waiting.page


def test_the_right_code_signs_in_and_returns_to_the_app(waiting, shop):
    done = waiting.enter_code(waiting.read_code(EMAIL))

    assert_signed_in(done, shop)


def test_email_is_normalized_before_sending(app, page, shop):
    page.submit_email("  Pat@EXAMPLE.com ")

    assert [m.recipient for m in all_messages(app)] == [EMAIL]
    assert_signed_in(page.enter_code(page.read_code(EMAIL)), shop)


@pytest.mark.parametrize("typed", ["{} {}", "{}-{}", " {}{} ", "{}.{}", "{}\t{}"])
def test_code_with_spaces_or_dashes_is_accepted(waiting, shop, typed):
    code = waiting.read_code(EMAIL)

    done = waiting.enter_code(typed.format(code[:3], code[3:]))

    assert_signed_in(done, shop)


# Wrong codes and the attempt cap


def test_wrong_code_says_how_many_tries_are_left(waiting):
    wrong = wrong_code_for(waiting.read_code(EMAIL))

    first = waiting.enter_code(wrong)
    assert first.status_code == 400
    assert "That code isn't right. 2 tries left." in assert_not_signed_in(first)
    assert 'name="code"' in waiting.page  # still on the code page

    second = waiting.enter_code(wrong)
    assert "1 try left" in assert_not_signed_in(second)


def test_right_code_after_a_wrong_one_still_works(waiting, shop):
    code = waiting.read_code(EMAIL)
    waiting.enter_code(wrong_code_for(code))

    assert_signed_in(waiting.enter_code(code), shop)


def test_third_wrong_try_kills_the_code_and_offers_a_new_one(app, waiting, shop):
    code = waiting.read_code(EMAIL)
    old_ticket = waiting.ticket_id
    waiting.enter_code(wrong_code_for(code))
    waiting.enter_code(wrong_code_for(code))

    third = waiting.enter_code(wrong_code_for(code))

    says = assert_not_signed_in(third)
    assert "Too many wrong tries" in says
    assert "Send a new code" in says
    form_posting_to(waiting.page, f"/login/restart/{old_ticket}")

    # the right code is dead too
    late = waiting.enter_code(code, ticket_id=old_ticket)
    assert "Too many wrong tries" in assert_not_signed_in(late)

    # one click: a new ticket, a new message, a working code
    restarted = waiting.restart()
    assert restarted.status_code == 303
    assert waiting.ticket_id != old_ticket
    waiting.follow(restarted)
    assert "We sent you a new code." in visible_text(waiting.page)
    messages = messages_to(app, EMAIL)
    assert len(messages) == 2
    assert messages[-1].ticket_id == waiting.ticket_id
    assert_signed_in(waiting.enter_code(waiting.read_code(EMAIL)), shop)


def test_attempt_cap_follows_the_connection_setting(app, page):
    with app.app_context():
        update_connection("email", max_attempts=1)
    page.submit_email(EMAIL)

    first = page.enter_code(wrong_code_for(page.read_code(EMAIL)))

    assert "Too many wrong tries" in assert_not_signed_in(first)


# Expiry (time is frozen, never slept)


def test_expired_code_offers_a_new_one(app, page, shop):
    with freeze_time() as frozen:
        page.submit_email(EMAIL)
        code = page.read_code(EMAIL)
        frozen.tick(301)

        opened = page.open_code_page()
        says = assert_not_signed_in(opened)
        assert "expired" in says
        assert "Send a new code" in says

        late = page.enter_code(code)
        assert "expired" in assert_not_signed_in(late)

        assert page.restart().status_code == 303
        assert len(messages_to(app, EMAIL)) == 2
        assert_signed_in(page.enter_code(page.read_code(EMAIL)), shop)


def test_code_works_until_the_last_second(page, shop):
    with freeze_time() as frozen:
        page.submit_email(EMAIL)
        frozen.tick(299)

        assert_signed_in(page.enter_code(page.read_code(EMAIL)), shop)


def test_resend_after_expiry_offers_a_new_code_instead(app, page):
    with freeze_time() as frozen:
        page.submit_email(EMAIL)
        page.open_code_page()
        frozen.tick(301)

        response = page.resend()

        assert "expired" in assert_not_signed_in(response)
        assert len(messages_to(app, EMAIL)) == 1


# Reuse and other browsers


def test_used_code_cannot_sign_in_again(waiting, shop):
    code = waiting.read_code(EMAIL)
    assert_signed_in(waiting.enter_code(code), shop)

    again = waiting.enter_code(code)

    # Not a second sign-in: the browser is told the story of its finished one.
    assert again.status_code == 303
    assert again.headers["Location"] == f"/login/ended/{waiting.ticket_id}"
    story = assert_not_signed_in(waiting.client.get(again.headers["Location"]))
    assert "You're signed in" in story and "already used" not in story


def test_code_typed_in_another_browser_is_refused(app, waiting, shop):
    code = waiting.read_code(EMAIL)
    other = LoginPage(app.test_client())  # no binding cookie, own session
    other.open_authorize(**shop.authorize_params())

    response = other.client.post(
        f"/login/code/{waiting.ticket_id}",
        data={"csrf_token": csrf_token(other.page), "code": code},
    )

    assert response.status_code == 403
    says = assert_not_signed_in(response)
    assert "requested in another browser" in says
    assert EMAIL not in says  # the other browser does not learn the address
    # nothing lost: the browser that asked can still sign in
    assert_signed_in(waiting.enter_code(code), shop)


def test_other_browser_cannot_open_resend_or_restart_the_ticket(app, waiting, shop):
    other = LoginPage(app.test_client())
    other.open_authorize(**shop.authorize_params())
    token = {"csrf_token": csrf_token(other.page)}

    opened = other.client.get(f"/login/code/{waiting.ticket_id}")
    resent = other.client.post(f"/login/resend/{waiting.ticket_id}", data=token)
    restarted = other.client.post(f"/login/restart/{waiting.ticket_id}", data=token)

    for response in (opened, resent, restarted):
        assert response.status_code == 403
        assert "another browser" in assert_not_signed_in(response)
    assert len(messages_to(app, EMAIL)) == 1


def test_unknown_ticket_is_a_clear_page(waiting):
    response = waiting.enter_code("123456", ticket_id="no-such-ticket")

    assert response.status_code == 404
    assert "This sign-in has ended" in assert_not_signed_in(response)


# Resend


def test_resend_sends_the_same_code_again(app, waiting, shop):
    response = waiting.resend()

    assert response.status_code == 303
    waiting.follow(response)
    assert "We sent the code again." in visible_text(waiting.page)
    first, second = messages_to(app, EMAIL)
    assert first.code == second.code
    assert first.ticket_id == second.ticket_id == waiting.ticket_id
    assert_signed_in(waiting.enter_code(second.code), shop)


# Sign-up off, blocked users: same answer, no message


def test_signup_off_gives_an_unknown_address_the_same_answer_but_no_message(app, client, shop):
    existing_user(app, "known@example.com")
    set_signup(app, False)

    pages = {}
    for email in ("known@example.com", "stranger@example.com"):
        person = LoginPage(app.test_client())
        person.open_authorize(**shop.authorize_params())
        started = person.submit_email(email)
        assert started.status_code == 303
        shown = person.open_code_page()
        pages[email] = (shown.status_code, visible_text(person.page).replace(email, "EMAIL"))
        if email == "stranger@example.com":
            stranger = person

    assert pages["known@example.com"] == pages["stranger@example.com"]
    assert len(messages_to(app, "known@example.com")) == 1
    assert messages_to(app, "stranger@example.com") == []
    # a guessed code never creates the account
    for guess in ("000000", "123456", "999999"):
        assert_not_signed_in(stranger.enter_code(guess))
    with app.app_context():
        assert users.find_by_identity("email", "stranger@example.com") is None


def test_signup_off_still_lets_known_users_in(app, page, shop):
    existing_user(app, EMAIL)
    set_signup(app, False)

    page.submit_email(EMAIL)

    assert_signed_in(page.enter_code(page.read_code(EMAIL)), shop)


def test_blocked_user_gets_no_message_and_cannot_sign_in(app, page):
    existing_user(app, EMAIL, blocked=True)

    started = page.submit_email(EMAIL)

    assert started.status_code == 303
    assert page.open_code_page().status_code == 200
    assert messages_to(app, EMAIL) == []
    assert_not_signed_in(page.enter_code("123456"))


def test_first_sign_in_creates_a_user_with_a_verified_email(app, waiting):
    waiting.enter_code(waiting.read_code(EMAIL))

    with app.app_context():
        user = users.find_by_identity("email", EMAIL)
        assert user is not None
        assert user.identity_for("email").verified


def test_signing_in_again_is_the_same_user_with_the_time_noted_and_failures_forgotten(
    app, client, shop
):
    first = LoginPage(client)
    assert_signed_in(first.sign_in(EMAIL, **shop.authorize_params()), shop)
    with app.app_context():
        user = users.find_by_identity("email", EMAIL)
        user_id, first_login = user.id, user.last_login_at
        user.failed_logins = 2
        db.session.commit()
    second = LoginPage(app.test_client())

    assert_signed_in(second.sign_in(EMAIL, **shop.authorize_params()), shop)

    with app.app_context():
        user = users.find_by_identity("email", EMAIL)
        assert user.id == user_id and len(user.identities) == 1
        assert user.last_login_at > first_login and user.failed_logins == 0
        assert [t.user_id for t in tickets(app)] == [user_id, user_id]


def test_signup_turned_off_after_the_code_was_sent_refuses_the_new_address(app, waiting):
    code = waiting.read_code(EMAIL)
    set_signup(app, False)

    response = waiting.enter_code(code)

    assert response.status_code == 403
    assert "You can't sign in here" in assert_not_signed_in(response)
    with app.app_context():
        assert users.find_by_identity("email", EMAIL) is None
    assert tickets(app)[0].consumed_at is not None and tickets(app)[0].user_id is None


def test_a_sign_in_that_loses_the_race_for_its_ticket_leaves_no_user_behind(
    app, waiting, monkeypatch
):
    """Two requests with the right code for one ticket, for a new address: both looked
    and found no user; the one that uses the ticket second is refused, and the user row
    it had written goes with its rollback."""
    from app.signin import tickets as signin_tickets
    from app.signin.outcomes import Requester

    ticket_id = tickets(app)[0].id
    with app.app_context():
        loser_ticket = signin_tickets.find(ticket_id)
        seen_before = users.find_for_sign_in("email", EMAIL)
        assert seen_before.user is None
        with app.app_context():  # the winner, in its own session
            signin_tickets.consume(signin_tickets.find(ticket_id), Requester(), amr=["otp"])
            db.session.commit()
        monkeypatch.setattr(users, "find_for_sign_in", lambda *args: seen_before)

        with pytest.raises(signin_tickets.TicketUsed):
            signin_tickets.consume(loser_ticket, Requester(), amr=["otp"])

    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 1
        winner = users.find_by_identity("email", EMAIL)
        assert [t.user_id for t in tickets(app)] == [winner.id]


# Bad input on the email step


MALFORMED_EMAILS = [
    "",
    "   ",
    "plain",
    "a@b",
    "a@@b.com",
    "@example.com",
    "a@",
    "x" * 300 + "@e.com",
    "a@b.com\r\nBcc: evil@x.com",
    "a@b.com\nBcc: evil@x.com",
    "a@b.com\x00",
    "<script>@x.com",
    "a@b.com, evil@x.com",
    "Pat <pat@example.com>",
    '"><img src=x onerror=alert(1)>@x.com',
]


@pytest.mark.parametrize("email", MALFORMED_EMAILS)
def test_malformed_email_gets_a_clear_message_and_no_message_is_sent(app, page, email):
    response = page.submit_email(email)

    assert response.status_code == 400
    says = assert_not_signed_in(response)
    clear = ("Enter your email address.", "doesn't look like an email address", "at most 64")
    assert any(message in says for message in clear), says
    html = response.get_data(as_text=True)
    assert "<script>@" not in html and "<img src=x" not in html
    assert form_posting_to(html, "/login/start")  # the person can try again
    with app.app_context():
        assert db.session.query(OutboxMessage).count() == 0
        assert db.session.query(LoginTicket).count() == 0


def test_typed_address_is_shown_back_escaped(page):
    response = page.submit_email("<script>@x.com")

    html = response.get_data(as_text=True)
    assert "&lt;script&gt;@x.com" in html
    assert page.page.count("<script") == html.count("<script nonce=")


def test_over_long_form_field_is_a_clear_400(app, page):
    response = page.submit_email("a" * 5000 + "@example.com")

    assert response.status_code == 400
    assert "Something went wrong" not in assert_not_signed_in(response)
    assert all_messages(app) == []


# Tampered forms


@pytest.mark.parametrize(
    "authz",
    [
        None,
        "",
        "garbage",
        "eyJjbGllbnRfaWQiOiJ4In0.AAAA.BBBB",
        "x" * 9000,
    ],
)
def test_tampered_authorize_request_is_a_clear_400(app, page, authz):
    response = page.submit_email(EMAIL, authz=authz)

    assert response.status_code == 400
    says = assert_not_signed_in(response)
    assert "Something went wrong" not in says
    assert all_messages(app) == []


def test_edited_authorize_request_is_refused(app, page):
    authz = form_posting_to(page.page, "/login/start").fields["authz"]
    payload, rest = authz.split(".", 1)
    edited = payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB") + "." + rest

    response = page.submit_email(EMAIL, authz=edited)

    assert response.status_code == 400
    assert "This request was changed" in assert_not_signed_in(response)
    assert all_messages(app) == []


def test_authorize_request_signed_with_another_key_is_refused(app, page):
    from itsdangerous import URLSafeTimedSerializer

    forged = URLSafeTimedSerializer("not-our-key", salt="latchkey.authorize-request").dumps(
        {"client_id": "x", "redirect_uri": "https://evil.example/cb", "response_type": "code"}
    )

    response = page.submit_email(EMAIL, authz=forged)

    assert response.status_code == 400
    assert "This request was changed" in assert_not_signed_in(response)
    assert all_messages(app) == []


def test_old_email_page_has_expired(app, page):
    with freeze_time() as frozen:
        page.open_authorize(**RelyingApp.register(app).authorize_params())
        frozen.tick(3601)

        response = page.submit_email(EMAIL)

    assert response.status_code == 400
    assert "This page has expired" in assert_not_signed_in(response)
    assert all_messages(app) == []


@pytest.mark.parametrize("token", [None, "", "not-a-token"])
def test_email_form_without_a_valid_csrf_token_is_refused(app, page, token):
    response = page.submit_email(EMAIL, csrf_token=token)

    assert response.status_code == 400
    assert "This page has expired" in assert_not_signed_in(response)
    assert all_messages(app) == []


def test_code_form_without_csrf_token_is_refused_and_costs_no_try(app, waiting, shop):
    code = waiting.read_code(EMAIL)

    response = waiting.client.post(waiting.code_url, data={"code": code})

    assert response.status_code == 400
    assert "This page has expired" in assert_not_signed_in(response)
    assert tickets(app)[0].failed_attempts == 0
    assert_signed_in(waiting.enter_code(code), shop)


def test_resend_without_csrf_token_is_refused(app, waiting):
    response = waiting.client.post(f"/login/resend/{waiting.ticket_id}")

    assert response.status_code == 400
    assert len(messages_to(app, EMAIL)) == 1


@pytest.mark.parametrize("code", ["", "abcdef", "1" * 65, "١٢٣٤٥٦", "%00%00", "' OR 1=1 --"])
def test_garbage_code_is_a_clear_answer(waiting, code):
    response = waiting.enter_code(code)

    assert response.status_code in (400, 200)
    says = assert_not_signed_in(response)
    assert "Something went wrong" not in says


# Storage and settings


def test_code_is_stored_only_hashed(app, waiting):
    code = waiting.read_code(EMAIL)

    with app.app_context():
        row = db.session.execute(text("SELECT * FROM login_tickets")).mappings().one()
        events = db.session.scalars(select(Event)).all()
        stored = " ".join(str(value) for value in row.values())
        logged = " ".join(f"{e.type} {e.detail} {e.recipient}" for e in events)
    assert code not in stored
    assert code not in logged
    assert len(row["code_hash"]) == 64


def test_binding_cookie_is_stored_only_hashed(app, waiting):
    cookie = waiting.client.get_cookie(BINDING)

    with app.app_context():
        row = db.session.execute(text("SELECT * FROM login_tickets")).mappings().one()
    assert cookie is not None
    assert cookie.value not in " ".join(str(value) for value in row.values())


def test_code_length_setting_is_honoured(app, page, shop):
    with app.app_context():
        update_connection("email", code_length=8)

    page.submit_email(EMAIL)
    page.open_code_page()

    code = page.read_code(EMAIL)
    assert len(code) == 8 and code.isdigit()
    assert "The code has 8 digits." in visible_text(page.page)
    assert 'maxlength="8"' in page.page
    assert_signed_in(page.enter_code(code), shop)


def test_code_lifetime_setting_is_honoured(app, page):
    with app.app_context():
        update_connection("email", ttl_seconds=60)

    with freeze_time() as frozen:
        page.submit_email(EMAIL)
        frozen.tick(61)

        response = page.enter_code(page.read_code(EMAIL))

    assert "expired" in assert_not_signed_in(response)


def test_shorter_code_of_the_right_prefix_is_wrong(waiting):
    code = waiting.read_code(EMAIL)

    response = waiting.enter_code(code[:-1])

    assert "2 tries left" in assert_not_signed_in(response)


def test_user_blocked_after_the_code_was_sent_cannot_sign_in(app, waiting):
    code = waiting.read_code(EMAIL)
    existing = tickets(app)[0]
    with app.app_context():
        users.set_blocked(users.create_with_identity("email", existing.recipient), True)

    response = waiting.enter_code(code)

    assert response.status_code == 403
    assert "You can't sign in here" in assert_not_signed_in(response)


def test_code_of_one_ticket_does_not_open_another(app, page):
    page.submit_email(EMAIL)
    first_code = page.read_code(EMAIL)
    page.open_authorize(**RelyingApp.register(app).authorize_params())
    page.submit_email("other@example.com")

    response = page.enter_code(first_code)

    assert "2 tries left" in assert_not_signed_in(response)
