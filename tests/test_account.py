"""The account page (/account) through the test client: a signed-in person adds an
address (code sent there), merges another account only after its address's code and
a press of "Merge", removes an address (never the last), deletes the account with a
code; the primary's `sub` survives it all through real OIDC sign-ins; bad input and
missing CSRF get clear pages."""

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
    newest_code,
    query_of,
    read_forms,
    userinfo,
    visible_text,
    wrong_code_for,
)
from joserfc import jwt
from joserfc.jwk import KeySet

from app.accounts import users
from app.extensions import db
from app.models import Event, User, utcnow

PAT = "pat@example.com"
WORK = "pat@work.example"
PHONE = "+447400123456"


class AccountPage:
    """A signed-in person on /account, in one browser (a test client)."""

    def __init__(self, app, email: str = PAT, query: str = ""):
        self.app = app
        self.http = app.test_client()
        self.shop = RelyingApp.register(app, name="Shop", connections=("email", "sms"))
        self.sub, self.token = sub_of(self.http, self.shop, email)
        self.query = query
        self.page = ""

    def open(self, path: str = "/account", **args):
        response = self.http.get(path + self.query, **args)
        self.page = response.get_data(as_text=True)
        return response

    def post(self, action: str, **fields: str):
        data = {"csrf_token": csrf_token(self.page), **fields}
        response = self.http.post(action, data=data)
        if response.status_code != 303:
            self.page = response.get_data(as_text=True)
        return response

    def add_email(self, email: str):
        self.open("/account/add/email")
        form = form_posting_to(self.page, "/account/add/email")
        started = self.post(form.action, email=email)
        assert started.status_code == 303, started.get_data(as_text=True)
        self.open(started.headers["Location"])
        return started.headers["Location"]

    def enter_code(self, code: str):
        form = form_posting_to(self.page, "/account/code/")
        return self.post(form.action, code=code)


def sub_of(
    http, shop: RelyingApp, email: str, scope: str = "openid email phone"
) -> tuple[str, str]:
    """Sign in through the hosted page and the token endpoint: the ID token's sub (its
    signature checked against the JWKS) and the access token."""
    done = LoginPage(http).sign_in(email, **shop.authorize_params(scope=scope))
    assert done.status_code == 302, done.get_data(as_text=True)
    tokens = shop.exchange(http, query_of(done.headers["Location"])["code"]).get_json()
    keys = KeySet.import_key_set(http.get("/.well-known/jwks.json").get_json())
    claims = jwt.decode(tokens["id_token"], keys).claims
    assert "identities" not in claims  # /userinfo only: they change after sign-in
    return claims["sub"], tokens["access_token"]


@pytest.fixture
def pat(app) -> AccountPage:
    return AccountPage(app)


def test_without_a_session_the_page_says_to_sign_in_first(app, client):
    page = client.get("/account")
    assert page.status_code == 200
    assert "You are not signed in" in visible_text(page.get_data(as_text=True))
    assert page.headers["Cache-Control"] == "no-store"
    assert client.post("/account/remove", data={}).status_code in (400, 403)


def test_the_page_lists_the_persons_addresses(pat):
    opened = pat.open()
    assert opened.status_code == 200
    text = visible_text(pat.page)
    assert "Your account" in text and PAT in text
    assert "Content-Security-Policy" in opened.headers
    assert opened.headers["Cache-Control"] == "no-store"


def test_adding_an_email_address_takes_its_code_and_keeps_the_sub(app, pat):
    pat.add_email(WORK)
    wrong = pat.enter_code(wrong_code_for(newest_code(app, WORK)))
    assert wrong.status_code == 400
    assert "That code isn't right. 2 tries left." in visible_text(pat.page)

    done = pat.enter_code(newest_code(app, WORK))

    assert done.status_code == 303 and "notice=added" in done.headers["Location"]
    pat.open(done.headers["Location"])
    text = visible_text(pat.page)
    assert "Added to your account." in text and WORK in text and PAT in text
    # A real OIDC sign-in with the new address is the same user: same sub.
    sub, token = sub_of(app.test_client(), pat.shop, WORK)
    assert sub == pat.sub
    listed = userinfo(app.test_client(), token).get_json()["identities"]
    assert {i["profileData"]["email"] for i in listed} == {PAT, WORK}
    assert all(i["isSocial"] is False and i["provider"] == "email" for i in listed)


def test_adding_a_phone_number_by_sms(make_app, gateway):
    app = make_app(**gateway.config())
    pat = AccountPage(app)
    with app.app_context():
        from app.accounts.connections import update_connection

        update_connection("sms", allowed_countries=["GB"])
    pat.open("/account/add/sms")
    form = form_posting_to(pat.page, "/account/add/sms")
    started = pat.post(form.action, country="GB", phone_number="07400 123456")
    assert started.status_code == 303
    pat.open(started.headers["Location"])
    assert "+44 7400 123456" in visible_text(pat.page)
    with app.app_context():
        from app.delivery import dispatcher

        dispatcher.dispatch_due()
    sms = gateway.wait_for(1)
    assert sms.body["recipient"] == PHONE
    # The account's own text: what the code does, never a sign-in's "your code for …".
    text = sms.body["body"]
    assert text.startswith(f"{sms.code} is your code to add this number to your Latchkey account.")
    assert "sign in" not in text.lower()

    assert pat.enter_code(sms.code).status_code == 303

    with app.app_context():
        assert users.find_by_identity("sms", PHONE).sub == pat.sub


def test_an_operators_account_sms_template_reaches_the_gateway(make_app, gateway):
    app = make_app(**gateway.config())
    with app.app_context():
        from app.messages import overrides

        overrides.set_template(
            None,
            "sms_account_code",
            "text",
            "en",
            "{{ application.name }}: {{ code }} ({{ account_action }})\n"
            "@{{ issuer_host }} #{{ code }}",
        )
        overrides.set_template(None, "sms_code", "text", "en", "Sign in: {{ code }}")
    pat = AccountPage(app)
    pat.open("/account/add/sms")
    form = form_posting_to(pat.page, "/account/add/sms")
    assert pat.post(form.action, country="GB", phone_number="07400 123456").status_code == 303
    with app.app_context():
        from app.delivery import dispatcher

        dispatcher.dispatch_due()
    sms = gateway.wait_for(1)
    assert sms.body["body"].splitlines()[0] == f"Latchkey: {sms.code} (add)"


def test_a_number_the_sms_guard_refuses_is_an_event_of_the_user_who_asked(make_app, gateway):
    app = make_app(**gateway.config())
    pat = AccountPage(app)
    with app.app_context():
        from app.accounts.connections import update_connection

        update_connection("sms", allowed_countries=["US"])
    pat.open("/account/add/sms")
    form = form_posting_to(pat.page, "/account/add/sms")
    refused = pat.post(form.action, country="GB", phone_number="07400 123456")
    assert refused.status_code == 400
    assert "We can't send text messages to numbers in this country." in visible_text(pat.page)
    with app.app_context():
        [event] = db.session.query(Event).filter_by(type="sms.refused").all()
        assert event.user_id == users.find_by_identity("email", PAT).id
        assert event.recipient == "+44********56" and event.client_id is None
        assert event.detail == {"refused": "country", "country": "GB", "purpose": "account.add"}
    assert gateway.received == []


def test_another_accounts_address_merges_only_after_its_code_and_the_button(app, pat):
    other = app.test_client()
    other_sub, other_token = sub_of(other, pat.shop, WORK)
    pat.add_email(WORK)

    offered = pat.enter_code(newest_code(app, WORK))

    assert offered.status_code == 200
    assert "Merge the two accounts?" in visible_text(pat.page)
    with app.app_context():  # nothing merged yet
        assert users.find_by_identity("email", WORK).sub == other_sub
    merge = form_posting_to(pat.page, "/account/merge/")
    done = pat.post(merge.action)
    assert done.status_code == 303 and "notice=merged" in done.headers["Location"]

    with app.app_context():
        assert users.find_by_identity("email", WORK).sub == pat.sub
        assert db.session.query(User).filter_by(sub=other_sub).first() is None
        assert db.session.query(Event).filter_by(type="user.merged").count() == 1
    # The primary's sub is what the merged address signs in as now; the secondary's
    # browser session and tokens ended.
    assert sub_of(app.test_client(), pat.shop, WORK)[0] == pat.sub
    assert "You are not signed in" in visible_text(other.get("/account").get_data(as_text=True))
    assert userinfo(app.test_client(), other_token).status_code == 401
    again = pat.post(merge.action)
    assert again.status_code == 400 and "already used" in visible_text(pat.page)


def test_removing_the_last_address_is_refused_and_another_one_becomes_its_own_user(app, pat):
    pat.open()
    assert not [f for f in read_forms(pat.page) if "/account/remove" in f.action]
    with app.app_context():
        identity = users.find_by_identity("email", PAT).identities[0]
        fields = {"provider": "email", "identity": identity.subject}
    pat.open("/account/add/email")  # a page with a form (the CSRF token)
    refused = pat.post("/account/remove", **fields)
    assert refused.status_code == 409
    assert "You can't remove the last way to sign in." in visible_text(pat.page)

    pat.add_email(WORK)
    pat.enter_code(newest_code(app, WORK))
    pat.open()
    with app.app_context():
        work = next(i for i in users.find_by_identity("email", WORK).identities if i.value == WORK)
        fields = {"provider": "email", "identity": work.subject}
    removed = pat.post("/account/remove", **fields)
    assert removed.status_code == 303 and "notice=removed" in removed.headers["Location"]
    with app.app_context():
        assert users.find_by_identity("email", WORK).sub != pat.sub
        assert users.find_by_identity("email", PAT).sub == pat.sub


def test_deleting_the_account_takes_a_code(app, pat):
    pat.open("/account/delete")
    assert "Delete your account?" in visible_text(pat.page)
    form = form_posting_to(pat.page, "/account/delete")
    sent = pat.post(form.action)
    assert sent.status_code == 303
    pat.open(sent.headers["Location"])
    assert "Enter it to delete your account." in visible_text(pat.page)
    assert pat.enter_code(wrong_code_for(newest_code(app, PAT))).status_code == 400
    with app.app_context():
        assert users.find_by_identity("email", PAT) is not None

    done = pat.enter_code(newest_code(app, PAT))

    assert done.status_code == 200
    assert "Your account is deleted" in visible_text(pat.page)
    assert any(
        "Max-Age=0" in h or "expires=Thu, 01 Jan 1970" in h
        for h in done.headers.getlist("Set-Cookie")
    )
    assert "You are not signed in" in visible_text(pat.http.get("/account").get_data(as_text=True))
    assert userinfo(app.test_client(), pat.token).status_code == 401
    with app.app_context():
        assert users.find_by_identity("email", PAT) is None


def test_an_app_link_speaks_for_the_app_and_returns_only_to_its_logout_urls(app):
    shop = RelyingApp.register(app, name="Notes", logout_urls=("https://notes.example/bye",))
    http = app.test_client()
    sub_of(http, shop, PAT)
    good = http.get(f"/account?client_id={shop.client_id}&return_to=https://notes.example/bye")
    assert 'href="https://notes.example/bye"' in good.get_data(as_text=True)
    assert "Back to Notes" in visible_text(good.get_data(as_text=True))
    evil = http.get(f"/account?client_id={shop.client_id}&return_to=https://evil.example/")
    html = evil.get_data(as_text=True)
    assert evil.status_code == 200 and "evil.example" not in html
    assert 'href="https://notes.example/bye"' in html  # the registered one instead


def test_a_post_without_csrf_gets_a_clear_page(pat):
    pat.open("/account/add/email")
    refused = pat.http.post("/account/add/email", data={"email": WORK})
    assert refused.status_code == 400
    assert "This page has expired" in visible_text(refused.get_data(as_text=True))


@pytest.mark.parametrize(
    "fields",
    [
        {"email": "not-an-address"},
        {"email": "x" * 5000},
        {"email": "\x00@\u202e.example"},
        {"email": ""},
    ],
)
def test_a_bad_email_address_is_a_clear_error(pat, fields):
    pat.open("/account/add/email")
    answer = pat.post("/account/add/email", **fields)
    assert answer.status_code == 400
    assert 'role="alert"' in pat.page


@pytest.mark.parametrize(
    "path,fields",
    [
        ("/account/code/nope", {"code": "123456"}),
        ("/account/code/" + "x" * 300, {"code": "\x00"}),
        ("/account/merge/nope", {}),
        ("/account/resend/nope", {}),
        ("/account/remove", {"provider": "sms", "identity": "nope"}),
        ("/account/remove", {"provider": "\x00", "identity": "x" * 5000}),
        ("/account/add/sms", {"country": "ZZ", "phone_number": "+1 nope"}),
    ],
)
def test_hostile_values_get_a_page_never_a_500(pat, path, fields):
    pat.open("/account/add/email")
    answer = pat.post(path, **fields)
    assert 400 <= answer.status_code < 500, answer.status_code
    assert answer.mimetype == "text/html"


def test_another_persons_code_page_is_not_found(app, pat):
    location = pat.add_email(WORK)
    stranger = AccountPage(app, email="sam@example.com")
    assert stranger.open(location.replace(pat.query, "")).status_code == 404


def test_a_sign_in_too_old_asks_for_a_code_before_any_change(app, pat):
    later = utcnow() + timedelta(seconds=app.config["ACCOUNT_FRESH_SECONDS"] + 60)
    with freeze_time(later):
        pat.open("/account/add/email")
        assert "Confirm it's you" in visible_text(pat.page)
        refused = pat.post("/account/add/email", email=WORK)  # posted anyway: nothing sent
        assert refused.status_code == 200 and "Confirm it's you" in visible_text(pat.page)
        assert messages_to(app, WORK) == []

        sent = pat.post(form_posting_to(pat.page, "/account/confirm").action)
        assert sent.status_code == 303
        pat.open(sent.headers["Location"])
        assert "Enter it to confirm it's you." in visible_text(pat.page)
        assert "confirm it's you" in messages_to(app, PAT)[-1].subject
        done = pat.enter_code(newest_code(app, PAT))
        assert done.status_code == 303 and "notice=confirmed" in done.headers["Location"]

        pat.add_email(WORK)  # now the change goes on
        assert pat.enter_code(newest_code(app, WORK)).status_code == 303
    with app.app_context():
        assert users.find_by_identity("email", WORK).sub == pat.sub
        assert db.session.query(Event).filter_by(type="session.confirmed").count() == 1
