"""Auth0's passwordless API: POST /passwordless/start, then the OTP grant at /oauth/token.

An app (not a browser) starts the sign-in and trades the code for tokens; JSON and
form bodies get the same answers, errors carry Auth0's codes.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from freezegun import freeze_time
from helpers import (
    LoginPage,
    RelyingApp,
    csrf_token,
    form_posting_to,
    messages_to,
    query_of,
    userinfo,
    visible_text,
    wrong_code_for,
)
from joserfc import jwt
from joserfc.jwk import KeySet

from app.accounts import users
from app.accounts.connections import update_connection
from app.extensions import db

EMAIL = "pat@example.com"
PHONE = "+14155552671"
OTP = "http://auth0.com/oauth/grant-type/passwordless/otp"


@pytest.fixture
def shop(app) -> RelyingApp:
    return RelyingApp.register(app, connections=("email", "sms"), origins=("https://shop.example",))


@pytest.fixture
def native(app) -> RelyingApp:
    return RelyingApp.register(app, "native", callbacks=("com.example.app:/cb",))


def start_body(relying_app: RelyingApp, **fields) -> dict:
    body = {"client_id": relying_app.client_id, "connection": "email", "email": EMAIL}
    if relying_app.secret:
        body["client_secret"] = relying_app.secret
    body.update(fields)
    return {k: v for k, v in body.items() if v is not None}


def post(client, path: str, body: dict, as_form: bool = False, **kwargs):
    if as_form:
        return client.post(path, data=body, **kwargs)
    return client.post(path, json=body, **kwargs)


def otp_body(relying_app: RelyingApp, otp: str, username: str = EMAIL, realm: str = "email"):
    body = {"grant_type": OTP, "client_id": relying_app.client_id, "username": username}
    body |= {"otp": otp, "realm": realm, "scope": "openid email phone"}
    if relying_app.secret:
        body["client_secret"] = relying_app.secret
    return body


def verified(client, id_token: str) -> jwt.Token:
    keys = KeySet.import_key_set(client.get("/.well-known/jwks.json").get_json())
    return jwt.decode(id_token, keys, algorithms=["RS256"])


@pytest.mark.parametrize("as_form", [False, True], ids=["json", "form"])
def test_email_code_start_then_otp_grant_signs_in(app, client, shop, as_form):
    started = post(client, "/passwordless/start", start_body(shop, send="code"), as_form)
    assert started.status_code == 200, started.get_data(as_text=True)
    answer = started.get_json()
    assert set(answer) == {"_id", "email", "email_verified"}
    assert answer["email"] == EMAIL and answer["email_verified"] is False
    assert started.headers["Cache-Control"] == "no-store"
    [message] = messages_to(app, EMAIL)
    assert "/login/link/" not in message.text  # send=code: a code, no link

    token = post(client, "/oauth/token", otp_body(shop, message.code), as_form)
    assert token.status_code == 200, token.get_data(as_text=True)
    tokens = token.get_json()
    assert tokens["token_type"].lower() == "bearer" and "refresh_token" not in tokens
    claims = verified(client, tokens["id_token"]).claims
    assert claims["aud"] == shop.client_id and claims["iss"] == "https://latchkey.test"
    assert claims["email"] == EMAIL and claims["email_verified"] is True
    assert claims["amr"] == ["otp"]
    info = userinfo(client, tokens["access_token"]).get_json()
    assert info["sub"] == claims["sub"] and info["email"] == EMAIL


def test_sms_code_start_then_otp_grant(app, client, shop):
    body = start_body(shop, connection="sms", email=None, phone_number=PHONE)
    started = client.post("/passwordless/start", json=body, headers={"x-request-language": "fr"})
    assert started.status_code == 200, started.get_data(as_text=True)
    assert started.get_json() == {
        "_id": started.get_json()["_id"],
        "phone_number": PHONE,
        "phone_verified": False,
        "request_language": "fr",
    }
    [sms] = messages_to(app, PHONE)
    assert not sms.text.startswith(f"{sms.code} is your")  # x-request-language: French
    token = client.post("/oauth/token", json=otp_body(shop, sms.code, PHONE, "sms"))
    assert token.status_code == 200, token.get_data(as_text=True)
    claims = verified(client, token.get_json()["id_token"]).claims
    assert claims["phone_number"] == PHONE and claims["amr"] == ["otp", "sms"]


def test_public_app_starts_without_secret_and_its_tokens_follow(app, client, native):
    started = client.post("/passwordless/start", json=start_body(native, send="code"))
    assert started.status_code == 200, started.get_data(as_text=True)
    token = client.post("/oauth/token", json=otp_body(native, messages_to(app, EMAIL)[0].code))
    assert token.status_code == 200 and "id_token" in token.get_json()


def test_the_answer_is_the_same_for_known_unknown_and_blocked_addresses(app, client, shop):
    with app.app_context():
        users.create_with_identity("email", "known@example.com")
        blocked = users.create_with_identity("email", "blocked@example.com")
        blocked.blocked = True
        db.session.commit()
    shapes = set()
    for email in ("known@example.com", "new@example.com", "blocked@example.com"):
        answer = client.post("/passwordless/start", json=start_body(shop, email=email, send="code"))
        assert answer.status_code == 200
        body = answer.get_json()
        assert body["email"] == email and body["email_verified"] is False
        shapes.add(tuple(sorted(body)))
    assert shapes == {("_id", "email", "email_verified")}
    assert messages_to(app, "blocked@example.com") == []  # a blocked user gets nothing


BAD_STARTS = [
    ({"client_id": None}, 400, "bad.client_id"),
    ({"client_id": "nobody"}, 400, "bad.client_id"),
    ({"client_id": "x" * 5000}, 400, "bad.client_id"),
    ({"client_id": ["a"]}, 400, "bad.client_id"),
    ({"client_secret": "wrong"}, 401, "unauthorized"),
    ({"client_secret": None}, 401, "unauthorized"),
    ({"connection": None}, 400, "bad.connection"),
    ({"connection": "google-oauth2"}, 400, "bad.connection"),
    ({"email": "not an address"}, 400, "bad.email"),
    ({"email": None}, 400, "bad.email"),
    ({"email": 42}, 400, "bad.email"),
    ({"connection": "sms", "phone_number": "4155552671"}, 400, "bad.phone_number"),
    ({"connection": "sms", "phone_number": "+1 555"}, 400, "bad.phone_number"),
    ({"connection": "sms", "send": "link", "phone_number": PHONE}, 400, "bad.request"),
    ({"send": "carrier-pigeon"}, 400, "bad.request"),
    ({"authParams": "scope=openid"}, 400, "bad.authParams"),
    ({"authParams": {"scope": ["openid"]}}, 400, "bad.authParams"),
    ({"authParams": {"state": "s" * 3000}}, 400, "bad.authParams"),
    (
        {"send": "link", "authParams": {"redirect_uri": "https://evil.example/cb"}},
        400,
        "bad.authParams",
    ),
    ({"send": "link", "authParams": {"response_type": "token"}}, 400, "bad.authParams"),
    ({"favourite_colour": "blue"}, 400, "bad.request"),
]


@pytest.mark.parametrize("fields, status, error", BAD_STARTS)
def test_bad_starts_get_auth0_error_codes_and_send_nothing(
    app, client, shop, fields, status, error
):
    answer = client.post("/passwordless/start", json=start_body(shop, **fields))
    assert answer.status_code == status, answer.get_data(as_text=True)
    body = answer.get_json()
    assert body["error"] == error and body["error_description"]
    assert messages_to(app, EMAIL) == [] and messages_to(app, PHONE) == []


def test_connection_the_app_does_not_use_is_refused(app, client):
    email_only = RelyingApp.register(app, connections=("email",))
    body = start_body(email_only, connection="sms", email=None, phone_number=PHONE)
    answer = client.post("/passwordless/start", json=body)
    assert answer.status_code == 400 and answer.get_json()["error"] == "bad.connection"


def test_public_app_may_not_send_a_secret(client, native):
    answer = client.post("/passwordless/start", json=start_body(native, client_secret="x"))
    assert answer.status_code == 401 and answer.get_json()["error"] == "unauthorized"


@pytest.mark.parametrize(
    "body", ["[1, 2]", "null", "{not json", '"string"'], ids=["list", "null", "garbled", "str"]
)
def test_json_that_is_not_an_object_is_a_bad_request(client, body):
    answer = client.post("/passwordless/start", data=body, content_type="application/json")
    assert answer.status_code == 400 and answer.get_json()["error"] == "bad.request"


def test_form_body_carries_auth_params_in_brackets(app, client, shop):
    body = start_body(shop, send="link") | {
        "authParams[state]": "abc",
        "authParams[scope]": "openid email",
    }
    answer = client.post("/passwordless/start", data=body)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    [message] = messages_to(app, EMAIL)
    assert "/login/link/" in message.text
    doubled = client.post("/passwordless/start", data={**body, "email": [EMAIL, "b@example.com"]})
    assert doubled.status_code == 400 and doubled.get_json()["error"] == "bad.request"


def test_wrong_code_then_the_tries_cap(app, client, shop):
    client.post("/passwordless/start", json=start_body(shop, send="code"))
    code = messages_to(app, EMAIL)[0].code
    wrong = client.post("/oauth/token", json=otp_body(shop, wrong_code_for(code)))
    assert wrong.status_code == 403
    assert wrong.get_json() == {
        "error": "invalid_grant",
        "error_description": "Wrong email or verification code.",
    }
    client.post("/oauth/token", json=otp_body(shop, wrong_code_for(code)))
    third = client.post("/oauth/token", json=otp_body(shop, wrong_code_for(code)))
    assert third.get_json()["error_description"].startswith("You have reached the maximum")
    after = client.post("/oauth/token", json=otp_body(shop, code))  # the right code, too late
    assert after.status_code == 403 and after.get_json()["error"] == "invalid_grant"


def test_wrong_phone_code_says_phone_number(app, client, shop):
    body = start_body(shop, connection="sms", email=None, phone_number=PHONE)
    client.post("/passwordless/start", json=body)
    code = messages_to(app, PHONE)[0].code
    wrong = client.post("/oauth/token", json=otp_body(shop, wrong_code_for(code), PHONE, "sms"))
    assert wrong.get_json()["error_description"] == "Wrong phone number or verification code."


def test_expired_code(app, client, shop):
    with freeze_time() as frozen:
        client.post("/passwordless/start", json=start_body(shop, send="code"))
        code = messages_to(app, EMAIL)[0].code
        frozen.tick(timedelta(seconds=301))
        late = client.post("/oauth/token", json=otp_body(shop, code))
    assert late.status_code == 403
    assert late.get_json()["error_description"].startswith("The verification code has expired")


def test_a_code_works_only_for_the_app_that_started_it(app, client, shop):
    other = RelyingApp.register(app, name="Other App")
    client.post("/passwordless/start", json=start_body(shop, send="code"))
    code = messages_to(app, EMAIL)[0].code
    stolen = client.post("/oauth/token", json=otp_body(other, code))
    assert stolen.status_code == 403 and stolen.get_json()["error"] == "invalid_grant"
    assert client.post("/oauth/token", json=otp_body(shop, code)).status_code == 200


def test_a_hosted_page_code_cannot_be_spent_through_the_api(app, client, shop):
    person = LoginPage(client)
    person.open_authorize(**shop.authorize_params())
    person.submit_email(EMAIL)
    code = messages_to(app, EMAIL)[0].code
    answer = client.post("/oauth/token", json=otp_body(shop, code))
    assert answer.status_code == 403 and answer.get_json()["error"] == "invalid_grant"


def test_an_api_code_cannot_be_spent_on_the_hosted_page(app, client, shop):
    client.post("/passwordless/start", json=start_body(shop, send="code"))
    message = messages_to(app, EMAIL)[0]
    assert client.get(f"/login/code/{message.ticket_id}").status_code == 403
    form = client.get("/authorize", query_string=shop.authorize_params())
    token = csrf_token(form.get_data(as_text=True))
    page = client.post(
        f"/login/code/{message.ticket_id}", data={"code": message.code, "csrf_token": token}
    )
    assert page.status_code == 403  # "open it where you started": no browser started it
    assert client.post("/oauth/token", json=otp_body(shop, message.code)).status_code == 200


def test_blocked_after_the_code_was_sent(app, client, shop):
    client.post("/passwordless/start", json=start_body(shop, send="code"))
    code = messages_to(app, EMAIL)[0].code
    with app.app_context():
        user = users.find_by_identity("email", EMAIL) or users.create_with_identity("email", EMAIL)
        user.blocked = True
        db.session.commit()
    answer = client.post("/oauth/token", json=otp_body(shop, code))
    assert answer.status_code == 403
    assert answer.get_json() == {"error": "unauthorized", "error_description": "user is blocked"}


@pytest.mark.parametrize("missing", ["username", "otp", "realm"])
def test_otp_grant_needs_its_parameters(client, shop, missing):
    body = otp_body(shop, "123456")
    del body[missing]
    answer = client.post("/oauth/token", json=body)
    assert answer.status_code == 400 and answer.get_json()["error"] == "invalid_request"


def test_otp_grant_refuses_an_unknown_realm(client, shop):
    answer = client.post("/oauth/token", json=otp_body(shop, "123456", realm="ldap"))
    assert answer.status_code == 400 and answer.get_json()["error"] == "invalid_request"


def test_otp_grant_authenticates_the_app(client, shop):
    body = otp_body(shop, "123456") | {"client_secret": "wrong"}
    answer = client.post("/oauth/token", json=body)
    assert answer.status_code == 401 and answer.get_json()["error"] == "invalid_client"


def test_too_many_starts_for_one_address_is_429(make_app):
    app = make_app(RATELIMIT_ENABLED=True, RECIPIENT_RATE_LIMIT="2 per hour")
    client = app.test_client()
    shop = RelyingApp.register(app)
    answers = [
        client.post("/passwordless/start", json=start_body(shop, send="code")) for _ in range(3)
    ]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[2].get_json()["error"] == "too_many_requests"
    assert int(answers[2].headers["Retry-After"]) > 0
    assert len(messages_to(app, EMAIL)) == 2


def test_cors_only_for_the_apps_registered_origin(client, shop):
    allowed = client.post(
        "/passwordless/start",
        json=start_body(shop, send="code"),
        headers={"Origin": "https://shop.example"},
    )
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://shop.example"
    other = client.post(
        "/passwordless/start",
        json=start_body(shop, send="code", email="b@example.com"),
        headers={"Origin": "https://evil.example"},
    )
    assert "Access-Control-Allow-Origin" not in other.headers
    preflight = client.options(
        "/passwordless/start",
        headers={
            "Origin": "https://shop.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,auth0-client,x-request-language",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://shop.example"
    allowed_headers = preflight.headers["Access-Control-Allow-Headers"].lower()
    for header in ("content-type", "auth0-client", "x-request-language"):
        assert header in allowed_headers  # what Auth0's browser SDKs send
    stranger = client.options("/passwordless/start", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in stranger.headers


def test_discovery_lists_the_otp_grant(client):
    assert (
        OTP in client.get("/.well-known/openid-configuration").get_json()["grant_types_supported"]
    )


def test_a_link_an_app_asked_for_completes_its_authorize_request(app, client, shop):
    auth_params = {"state": "st-1", "nonce": "n-1", "scope": "openid email"}
    started = client.post(
        "/passwordless/start", json=start_body(shop, send="link", authParams=auth_params)
    )
    assert started.status_code == 200, started.get_data(as_text=True)
    [message] = messages_to(app, EMAIL)
    path = message.link.split("latchkey.test", 1)[1]

    browser = app.test_client()  # whichever browser the person opens the link in
    for _ in range(2):  # opening it (a mail scanner, a preview) changes nothing
        page = browser.get(path)
        assert page.status_code == 200
    text = visible_text(page.get_data(as_text=True))
    assert f"Continue as {EMAIL}?" in text
    assert "other device" not in text  # no browser is waiting for this one
    form = form_posting_to(page.get_data(as_text=True), path + "/app")

    done = browser.post(form.action, data=form.fields)
    assert done.status_code == 302, done.get_data(as_text=True)
    callback = query_of(done.headers["Location"])
    assert done.headers["Location"].startswith(shop.callback + "?")
    assert callback["state"] == "st-1"
    assert not any(c.key.endswith("latchkey_sso") for c in browser._cookies.values())

    tokens = shop.exchange(client, callback["code"], code_verifier=None).get_json()
    claims = verified(client, tokens["id_token"]).claims
    assert claims["nonce"] == "n-1" and claims["email"] == EMAIL

    again = browser.post(form.action, data=form.fields)
    assert again.status_code == 200 and "This link was already used" in visible_text(
        again.get_data(as_text=True)
    )


def test_an_address_that_was_sent_nothing_gets_the_wrong_code_answer(client, shop):
    answer = client.post("/oauth/token", json=otp_body(shop, "123456", "nobody@example.com"))
    assert answer.status_code == 403
    assert answer.get_json()["error_description"] == "Wrong email or verification code."


def test_repeated_wrong_codes_get_a_growing_delay(make_app):
    app = make_app(RATELIMIT_ENABLED=True, FAILED_CODE_LIMIT=2, RECIPIENT_RATE_LIMIT="50/hour")
    client = app.test_client()
    shop = RelyingApp.register(app)
    statuses = []
    for _ in range(2):  # two tickets, three wrong codes each would pass the cap
        client.post("/passwordless/start", json=start_body(shop, send="code"))
        code = messages_to(app, EMAIL)[-1].code
        for _ in range(2):
            answer = client.post("/oauth/token", json=otp_body(shop, wrong_code_for(code)))
            statuses.append(answer.status_code)
    assert statuses[:2] == [403, 403] and statuses[2] == 429
    assert answer.get_json()["error"] == "too_many_requests"
    assert int(answer.headers["Retry-After"]) > 0


def test_a_public_apps_link_must_carry_pkce(client, native):
    body = start_body(native, send="link", authParams={"redirect_uri": "com.example.app:/cb"})
    answer = client.post("/passwordless/start", json=body)
    assert answer.status_code == 400 and answer.get_json()["error"] == "bad.authParams"
    assert "PKCE" in answer.get_json()["error_description"]
    ok = start_body(native, send="link", authParams={"code_challenge": "a" * 43})
    ok["authParams"]["code_challenge_method"] = "S256"
    assert client.post("/passwordless/start", json=ok).status_code == 200


def test_otp_code_checks_count_against_the_per_ip_limit(make_app):
    app = make_app(RATELIMIT_ENABLED=True, VERIFY_RATE_LIMIT="2 per hour")
    client = app.test_client()
    shop = RelyingApp.register(app)
    client.post("/passwordless/start", json=start_body(shop, send="code"))
    code = messages_to(app, EMAIL)[-1].code
    statuses = [
        client.post("/oauth/token", json=otp_body(shop, wrong_code_for(code))).status_code
        for _ in range(3)
    ]
    assert statuses == [403, 403, 429]
    other_grant = client.post("/oauth/token", json={"grant_type": "authorization_code"})
    assert other_grant.status_code != 429  # code exchanges are not code checks


def test_no_log_line_holds_the_code_the_link_or_a_token(app, client, shop, caplog):
    caplog.set_level(logging.DEBUG)
    client.post("/passwordless/start", json=start_body(shop, send="code"))
    code = messages_to(app, EMAIL)[-1].code
    client.post("/oauth/token", json=otp_body(shop, wrong_code_for(code)))
    tokens = client.post("/oauth/token", json=otp_body(shop, code)).get_json()
    client.post("/passwordless/start", json=start_body(shop, email="l@example.com"))
    link = messages_to(app, "l@example.com")[-1].link
    logged = caplog.text
    assert caplog.records  # Authlib and the app did log at DEBUG
    for secret in (code, wrong_code_for(code), tokens["access_token"], tokens["id_token"]):
        assert secret not in logged
    assert link.rsplit("/", 1)[1] not in logged
    assert shop.secret not in logged


def sms_start(relying_app: RelyingApp, phone: str = PHONE) -> dict:
    return start_body(relying_app, connection="sms", email=None, phone_number=phone)


def test_sms_that_cannot_go_is_an_sms_provider_error(app, client, shop):
    app.config["SMS_PROVIDER"] = None  # no provider configured
    answer = client.post("/passwordless/start", json=sms_start(shop))
    assert answer.status_code == 400
    assert answer.get_json()["error"] == "sms_provider_error"
    assert messages_to(app, PHONE) == []


def test_sms_to_a_country_the_operator_did_not_allow(app, client, shop):
    with app.app_context():
        update_connection("sms", allowed_countries=["FR"])
    answer = client.post("/passwordless/start", json=sms_start(shop))
    assert answer.status_code == 400 and answer.get_json()["error"] == "bad.phone_number"
    assert messages_to(app, PHONE) == []


def test_sms_number_limit_is_too_many_requests(make_app):
    app = make_app(RATELIMIT_ENABLED=True, SMS_NUMBER_RATE_LIMIT="1 per hour")
    client = app.test_client()
    shop = RelyingApp.register(app, connections=("sms",))
    first = client.post("/passwordless/start", json=sms_start(shop))
    second = client.post("/passwordless/start", json=sms_start(shop))
    assert first.status_code == 200 and second.status_code == 429
    assert second.get_json()["error"] == "too_many_requests"
    assert int(second.headers["Retry-After"]) > 0
    assert len(messages_to(app, PHONE)) == 1
