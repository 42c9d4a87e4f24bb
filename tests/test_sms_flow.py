"""Sign in by SMS code on the hosted page: the phone screen, the code page, the claims."""

from __future__ import annotations

import re

import pytest
from helpers import (
    LoginPage,
    RelyingApp,
    form_posting_to,
    messages_to,
    query_of,
    selected_country,
    userinfo,
    visible_text,
    wrong_code_for,
)

from app.accounts.connections import update_connection
from app.delivery import dispatcher

PHONE = "+14155552671"


@pytest.fixture
def relying_app(app):
    return RelyingApp.register(app, connections=("email", "sms"))


@pytest.fixture
def person(client):
    return LoginPage(client)


def test_sign_in_by_sms_puts_the_verified_phone_in_the_tokens(app, client, relying_app, person):
    opened = person.open_authorize(
        **relying_app.authorize_params(connection="sms", scope="openid phone")
    )
    assert opened.status_code == 200
    assert "Phone number" in visible_text(person.page)

    started = person.submit_phone("(415) 555-2671", "US")
    assert started.status_code == 303
    [sms] = messages_to(app, PHONE)
    assert sms.text.startswith(f"{sms.code} is your Example App code.")
    assert sms.text.rstrip().endswith(f"@latchkey.test #{sms.code}")  # origin-bound line
    assert sms.subject == "" and sms.html is None

    code_page = person.open_code_page()
    text = visible_text(person.page)
    assert code_page.status_code == 200
    assert "Check your phone" in text and "+1 415-555-2671" in text
    assert 'autocomplete="one-time-code"' in person.page
    assert "OTPCredential" in person.page  # WebOTP, where the browser has it
    assert "Use another number" in text

    done = person.enter_code(sms.code)
    assert done.status_code == 302
    code = query_of(done.headers["Location"])["code"]
    tokens = relying_app.exchange(client, code).get_json()
    assert "access_token" in tokens, tokens
    info = userinfo(client, tokens["access_token"]).get_json()
    assert info["phone_number"] == PHONE
    assert info["phone_number_verified"] is True


def test_the_phone_scope_is_needed_for_the_phone_claims(app, client, relying_app, person):
    person.open_authorize(**relying_app.authorize_params(connection="sms", scope="openid"))
    person.submit_phone(PHONE)
    done = person.enter_code(person.read_code(PHONE))
    tokens = relying_app.exchange(client, query_of(done.headers["Location"])["code"]).get_json()
    assert "phone_number" not in userinfo(client, tokens["access_token"]).get_json()


def test_both_connections_show_an_email_phone_switch(relying_app, person):
    person.open_authorize(**relying_app.authorize_params())
    assert "Email address" in visible_text(person.page)
    tabs = re.findall(r'<a class="lk-switch-tab[^"]*"\s+href="([^"]+)"', person.page)
    assert len(tabs) == 2 and "connection=sms" in tabs[1].replace("&amp;", "&")
    assert 'aria-current="page"' in person.page

    phone_page = person.client.get(tabs[1].replace("&amp;", "&"))
    assert "Phone number" in visible_text(phone_page.get_data(as_text=True))


def test_an_email_only_app_shows_no_switch_and_refuses_the_phone_screen(app, person):
    email_only = RelyingApp.register(app)
    person.open_authorize(**email_only.authorize_params(connection="sms"))
    assert "Email address" in visible_text(person.page)
    assert "lk-switch" not in person.page

    # a hand-made post to the phone screen with this app's signed request
    form = form_posting_to(person.page, "/login/start")
    refused = person.client.post(
        "/login/start/sms", data={**form.fields, "country": "US", "phone_number": PHONE}
    )
    assert refused.status_code == 400
    assert "This app signs in by email only." in visible_text(refused.get_data(as_text=True))
    assert messages_to(app, PHONE) == []


def test_an_sms_only_app_opens_the_phone_screen(app, person):
    sms_only = RelyingApp.register(app, connections=("sms",))
    person.open_authorize(**sms_only.authorize_params())
    assert "Phone number" in visible_text(person.page)
    assert "lk-switch" not in person.page


def test_an_sms_only_app_refuses_the_email_step(app, person):
    sms_only = RelyingApp.register(app, connections=("sms",))
    person.open_authorize(**sms_only.authorize_params())

    # a hand-made post to the email step with this app's signed request
    form = form_posting_to(person.page, "/login/start/sms")
    refused = person.client.post(
        "/login/start", data={**form.fields, "email": "mallory@example.com"}
    )

    assert refused.status_code == 400
    assert "This app signs in by phone only." in visible_text(refused.get_data(as_text=True))
    assert messages_to(app, "mallory@example.com") == []


def test_login_hint_prefills_the_number(relying_app, person):
    person.open_authorize(**relying_app.authorize_params(connection="sms", login_hint=PHONE))
    assert f'value="{PHONE}"' in person.page
    person.open_authorize(
        **relying_app.authorize_params(connection="sms", login_hint="ada@example.com")
    )
    assert "ada@example.com" not in person.page


def test_the_default_country_comes_from_the_setting_then_the_language(app, relying_app, person):
    params = relying_app.authorize_params(connection="sms")
    person.open_authorize(**params)
    assert selected_country(person.page) == "US"

    person.client.get("/authorize", query_string=params)
    page = person.client.get(
        "/authorize", query_string=params, headers={"Accept-Language": "en-GB,en;q=0.8"}
    ).get_data(as_text=True)
    assert selected_country(page) == "GB"
    person.open_authorize(**{**params, "ui_locales": "de-AT"})
    assert selected_country(person.page) == "AT"

    with app.app_context():
        update_connection("sms", default_country="FR")
    person.open_authorize(**{**params, "ui_locales": "de-AT"})
    assert selected_country(person.page) == "FR"


def test_allowed_countries_limit_the_picker(app, relying_app, person):
    with app.app_context():
        update_connection("sms", allowed_countries=["US", "GB"])
    person.open_authorize(**relying_app.authorize_params(connection="sms"))
    assert re.findall(r'<option value="([A-Z]{2})"', person.page) == ["GB", "US"]


@pytest.mark.parametrize(
    ("typed", "country", "message"),
    [
        ("", "US", "Enter your phone number."),
        ("020 7946 0018", "GB", "That number can't receive text messages. Enter a mobile number."),
        ("415 555", "US", "That phone number isn't valid."),
        ("DROP TABLE", "US", "That doesn't look like a phone number."),
        ("07400 123456", "<script>", "Choose your country"),
    ],
)
def test_bad_numbers_get_a_clear_message_and_keep_what_was_typed(
    app, relying_app, person, typed, country, message
):
    person.open_authorize(**relying_app.authorize_params(connection="sms"))
    refused = person.submit_phone(typed, country)
    assert refused.status_code == 400
    assert message in visible_text(person.page)
    assert "<script>" not in person.page.split("</head>")[1].replace("<script nonce", "")
    assert messages_to(app, PHONE) == []


def test_a_tampered_or_missing_authorize_request_is_refused(relying_app, person):
    person.open_authorize(**relying_app.authorize_params(connection="sms"))
    refused = person.submit_phone(PHONE, authz="garbage")
    assert refused.status_code == 400
    assert "This request was changed" in visible_text(person.page)


def test_resend_sends_the_same_code_by_sms(app, relying_app, person):
    person.open_authorize(**relying_app.authorize_params(connection="sms"))
    person.submit_phone(PHONE)
    person.open_code_page()
    person.resend()
    first, second = messages_to(app, PHONE)
    assert first.code == second.code


def test_a_provider_refusal_is_explained_on_the_code_page(make_app, twilio):
    twilio.fail_with(400, 21211)
    app = make_app(**twilio.config())
    relying_app = RelyingApp.register(app, connections=("sms",))
    person = LoginPage(app.test_client())
    person.open_authorize(**relying_app.authorize_params())
    person.submit_phone(PHONE)
    assert "not valid" not in visible_text(person.open_code_page().get_data(as_text=True))
    with app.app_context():
        dispatcher.dispatch_due()
    person.open_code_page()
    assert "This phone number is not valid." in visible_text(person.page)
    assert len(twilio.received) == 1


@pytest.mark.parametrize(
    ("ui_locales", "accept_language"),
    [
        ("../../etc/passwd", "*;q=0.5"),
        ("zz-ZZ-xxxxxxxx", "x" * 80),
        ("de-XX en-GB", "en-GB;q=nonsense"),
    ],
)
def test_hostile_language_values_still_show_the_phone_screen(
    client, relying_app, ui_locales, accept_language
):
    page = client.get(
        "/authorize",
        query_string=relying_app.authorize_params(connection="sms", ui_locales=ui_locales),
        headers={"Accept-Language": accept_language},
    )
    assert page.status_code == 200
    assert selected_country(page.get_data(as_text=True)) in ("US", "GB")


def test_a_new_code_refused_by_the_limits_says_when_to_try_again(make_app):
    app = make_app(SMS_NUMBER_RATE_LIMIT="1 per hour")
    relying_app = RelyingApp.register(app, connections=("sms",))
    person = LoginPage(app.test_client())
    person.open_authorize(**relying_app.authorize_params())
    person.submit_phone(PHONE)
    person.open_code_page()
    for _ in range(3):
        person.enter_code(wrong_code_for(person.read_code(PHONE)))
    refused = person.restart()
    assert refused.status_code == 429
    assert "Try again in 60 minutes." in visible_text(person.page)
    assert len(messages_to(app, PHONE)) == 1
