"""The endpoints auth0.js calls (auth0-js 9.x, read from its source), at the HTTP level.

Embedded (cross-origin authentication), from an app's registered web origin:
  POST /passwordless/start → POST /co/authenticate → /authorize?login_ticket=…
  (the co_verifier cookie, or /co/verify with the app's verification page).
Hosted page (Universal Login + auth0.js), from Latchkey's own origin:
  POST /passwordless/start (authParams carry the page's signed state and _csrf)
  → POST /passwordless/verify → GET /passwordless/verify_redirect.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from freezegun import freeze_time
from helpers import (
    LoginPage,
    RelyingApp,
    csrf_token,
    form_posting_to,
    hidden_field,
    messages_to,
    newest_code,
    query_of,
    visible_text,
    wrong_code_for,
)

from app import housekeeping
from app.accounts.clients import delete_client, find_client, update_client
from app.extensions import db
from app.models import Event, LoginTicket, VerifiedSignIn, utcnow
from app.signin import api_tickets

EMAIL = "pat@example.com"
SHOP = "https://shop.example"
EVIL = "https://evil.example"
OWN = "http://localhost"  # the test client's origin: Latchkey's own
OTP = "http://auth0.com/oauth/grant-type/passwordless/otp"


@pytest.fixture
def spa(app) -> RelyingApp:
    return RelyingApp.register(
        app, "spa", callbacks=(SHOP + "/callback",), origins=(SHOP,), connections=("email", "sms")
    )


def start_embedded(client, relying_app: RelyingApp, email: str = EMAIL):
    """auth0.js passwordlessStart on the app's page: an API ticket for the app."""
    body = {"client_id": relying_app.client_id, "connection": "email", "email": email}
    body |= {"send": "code", "authParams": {"scope": "openid email", "state": "s1"}}
    started = client.post("/passwordless/start", json=body, headers={"Origin": SHOP})
    assert started.status_code == 200, started.get_data(as_text=True)
    return started


def co_authenticate(client, relying_app: RelyingApp, otp: str, origin: str | None = SHOP, **more):
    """What auth0.js's passwordlessLogin sends from an app's page (withCredentials)."""
    body = {
        "client_id": relying_app.client_id,
        "username": EMAIL,
        "otp": otp,
        "realm": "email",
        "credential_type": OTP,
        **more,
    }
    headers = {"Origin": origin} if origin else {}
    return client.post("/co/authenticate", json=body, headers=headers)


def authorize_with_ticket(client, relying_app: RelyingApp, login_ticket: str, **more):
    """auth0.js's webAuth.authorize({loginTicket}) after /co/authenticate."""
    params = relying_app.authorize_params(login_ticket=login_ticket, realm="email", **more)
    return client.get("/authorize", query_string=params)


def embedded_ticket(app, client, relying_app: RelyingApp) -> dict:
    start_embedded(client, relying_app)
    answer = co_authenticate(client, relying_app, newest_code(app, EMAIL))
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.get_json()


# --- Embedded ------------------------------------------------------------------------------


def test_embedded_sign_in_gets_a_login_ticket_then_a_code_at_the_callback(app, client, spa):
    start_embedded(client, spa)
    answer = co_authenticate(client, spa, newest_code(app, EMAIL))

    assert answer.status_code == 200
    body = answer.get_json()
    assert set(body) == {"login_ticket", "co_verifier", "co_id"}
    assert answer.headers["Access-Control-Allow-Origin"] == SHOP
    assert answer.headers["Access-Control-Allow-Credentials"] == "true"
    cookie = client.get_cookie("co_verifier")
    assert cookie is not None and cookie.value == body["co_verifier"]
    assert cookie.http_only and cookie.secure and cookie.same_site == "None"
    with app.app_context():
        kept = db.session.query(VerifiedSignIn).one()
        assert body["login_ticket"] not in (kept.login_ticket_hash, kept.verifier_hash)
        assert body["co_verifier"] not in (kept.login_ticket_hash, kept.verifier_hash)

    done = authorize_with_ticket(client, spa, body["login_ticket"])

    assert done.status_code == 302, done.get_data(as_text=True)
    back = query_of(done.headers["Location"])
    assert done.headers["Location"].startswith(SHOP + "/callback?")
    assert back["state"] == spa.state
    tokens = spa.exchange(client, back["code"])
    assert tokens.status_code == 200 and "id_token" in tokens.get_json()
    assert client.get_cookie("co_verifier") is None  # spent


def test_a_login_ticket_is_single_use(app, client, spa):
    ticket = embedded_ticket(app, client, spa)
    first = authorize_with_ticket(client, spa, ticket["login_ticket"])
    client.set_cookie("co_verifier", ticket["co_verifier"])

    again = authorize_with_ticket(client, spa, ticket["login_ticket"])

    assert "code" in query_of(first.headers["Location"])
    back = query_of(again.headers["Location"])
    assert back["error"] == "access_denied" and "code" not in back
    assert back["state"] == spa.state


def test_a_login_ticket_needs_the_browsers_co_verifier(app, client, spa):
    ticket = embedded_ticket(app, client, spa)
    client.set_cookie("co_verifier", "someone-elses")

    refused = authorize_with_ticket(client, spa, ticket["login_ticket"])

    back = query_of(refused.headers["Location"])
    assert back["error"] == "access_denied"
    assert back["error_description"] == "No verifier returned from client."
    with app.app_context():
        assert db.session.query(Event).filter_by(type="co.verifier_refused").count() == 1


def test_a_login_ticket_without_a_cookie_and_no_verification_page_is_refused(app, client, spa):
    ticket = embedded_ticket(app, client, spa)
    client.delete_cookie("co_verifier")

    refused = authorize_with_ticket(client, spa, ticket["login_ticket"])

    back = query_of(refused.headers["Location"])
    assert back["error"] == "server_error"
    assert back["error_description"] == "Unable to configure verification page."


def test_a_login_ticket_expires(app, client, spa):
    ticket = embedded_ticket(app, client, spa)

    with freeze_time(timedelta(minutes=3), tick=True):
        refused = authorize_with_ticket(client, spa, ticket["login_ticket"])

    assert query_of(refused.headers["Location"])["error"] == "access_denied"


def test_a_login_ticket_works_only_for_its_own_app(app, client, spa):
    other = RelyingApp.register(app, "spa", callbacks=(SHOP + "/other",), origins=(SHOP,))
    ticket = embedded_ticket(app, client, spa)

    refused = authorize_with_ticket(client, other, ticket["login_ticket"])

    back = query_of(refused.headers["Location"])
    assert refused.headers["Location"].startswith(SHOP + "/other?")
    assert back["error"] == "access_denied" and "code" not in back


def test_a_login_ticket_with_a_bad_authorize_request_is_not_used(app, client, spa):
    ticket = embedded_ticket(app, client, spa)

    bad = authorize_with_ticket(
        client, spa, ticket["login_ticket"], redirect_uri="https://evil.example/cb"
    )
    good = authorize_with_ticket(client, spa, ticket["login_ticket"])

    assert bad.status_code == 400 and "Location" not in bad.headers
    assert "code" in query_of(good.headers["Location"])


def test_the_fallback_page_hands_the_verifier_over_and_finishes(app, client, spa):
    with app.app_context():
        update_client(find_client(spa.client_id), cross_origin_loc=SHOP + "/co-verify.html")
    ticket = embedded_ticket(app, client, spa)
    client.delete_cookie("co_verifier")  # third-party cookies blocked

    hop = authorize_with_ticket(client, spa, ticket["login_ticket"])
    assert hop.status_code == 303 and hop.headers["Location"].startswith("/co/verify?")
    page = client.get(hop.headers["Location"])

    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'data-src="https://shop.example/co-verify.html#origin=http%3A%2F%2Flocalhost"' in html
    assert f'data-co-id="{ticket["co_id"]}"' in html
    assert "frame-src https://shop.example;" in page.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    form = form_posting_to(html, "/co/verify")
    posted = client.post("/co/verify", data={**form.fields, "co_verifier": ticket["co_verifier"]})
    assert posted.status_code == 303
    done = client.get(posted.headers["Location"])
    assert "code" in query_of(done.headers["Location"]), done.get_data(as_text=True)


def test_the_fallback_page_without_a_verifier_ends_in_an_error_at_the_app(app, client, spa):
    with app.app_context():
        update_client(find_client(spa.client_id), cross_origin_loc=SHOP + "/co-verify.html")
    ticket = embedded_ticket(app, client, spa)
    client.delete_cookie("co_verifier")
    page = client.get(authorize_with_ticket(client, spa, ticket["login_ticket"]).location)
    form = form_posting_to(page.get_data(as_text=True), "/co/verify")

    posted = client.post("/co/verify", data=form.fields)  # the app's page had nothing
    done = client.get(posted.headers["Location"])

    assert query_of(done.headers["Location"])["error"] == "access_denied"


def test_the_fallback_post_needs_its_csrf_token(app, client, spa):
    refused = client.post("/co/verify", data={"login_ticket": "x", "co_verifier": "y"})

    assert refused.status_code == 400
    assert client.get_cookie("co_verifier") is None


def test_an_unregistered_origin_gets_nothing(app, client, spa):
    start_embedded(client, spa)
    code = newest_code(app, EMAIL)

    for origin in (EVIL, None, "null"):
        refused = co_authenticate(client, spa, code, origin=origin)
        assert refused.status_code == 403
        assert refused.get_json()["error"] == "access_denied"
        assert "Access-Control-Allow-Origin" not in refused.headers
        assert client.get_cookie("co_verifier") is None
    allowed = co_authenticate(client, spa, code)  # the code was not spent by them
    assert allowed.status_code == 200


def test_preflight_is_answered_only_for_a_registered_origin(app, client, spa):
    asked = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type",
    }

    allowed = client.options("/co/authenticate", headers={"Origin": SHOP, **asked})
    refused = client.options("/co/authenticate", headers={"Origin": EVIL, **asked})

    assert allowed.headers["Access-Control-Allow-Origin"] == SHOP
    assert allowed.headers["Access-Control-Allow-Credentials"] == "true"
    assert "Content-Type" in allowed.headers["Access-Control-Allow-Headers"]
    assert "Access-Control-Allow-Origin" not in refused.headers
    assert "Access-Control-Allow-Credentials" not in refused.headers


def test_a_wrong_code_is_auth0s_error_and_the_tries_cap_holds(app, client, spa):
    start_embedded(client, spa)
    code = newest_code(app, EMAIL)

    answers = [co_authenticate(client, spa, wrong_code_for(code)) for _ in range(3)]
    late = co_authenticate(client, spa, code)

    assert [a.status_code for a in answers] == [403, 403, 403]
    assert answers[0].get_json() == {
        "error": "invalid_grant",
        "error_description": "Wrong email or verification code.",
    }
    assert late.status_code == 403
    assert "maximum number of attempts" in late.get_json()["error_description"]


def test_an_unknown_address_is_told_like_a_wrong_code(app, client, spa):
    answer = co_authenticate(client, spa, "123456", username="nobody@example.com")

    assert answer.status_code == 403
    assert answer.get_json()["error_description"] == "Wrong email or verification code."


def test_a_code_from_the_hosted_page_is_not_an_embedded_code(app, client, spa):
    page = LoginPage(client)
    page.open_authorize(**spa.authorize_params())
    page.submit_email(EMAIL)

    answer = co_authenticate(client, spa, newest_code(app, EMAIL))

    assert answer.status_code == 403


@pytest.mark.parametrize(
    "body",
    [
        {"credential_type": "http://auth0.com/oauth/grant-type/password-realm"},
        {"credential_type": None},
        {"realm": "ldap"},
        {"realm": None},
        {"username": None},
        {"username": "x" * 5000},
        {"otp": None},
        {"otp": ["1"]},
        {"otp": "1" * 500},
        {"client_id": "unknown"},
        {"client_id": 12},
    ],
)
def test_bad_input_gets_an_auth0_json_error(app, client, spa, body):
    sent = {"client_id": spa.client_id, "username": EMAIL, "otp": "123456", "realm": "email"}
    sent = {**sent, "credential_type": OTP, **body}
    answer = client.post("/co/authenticate", json=sent, headers={"Origin": SHOP})

    assert 400 <= answer.status_code < 500
    assert set(answer.get_json()) == {"error", "error_description"}


@pytest.mark.parametrize(
    "data, content_type",
    [("not json", "application/json"), ("[1]", "application/json"), ("a=b", "text/plain")],
)
def test_a_garbled_body_gets_a_json_error(client, spa, data, content_type):
    answer = client.post(
        "/co/authenticate", data=data, content_type=content_type, headers={"Origin": SHOP}
    )

    assert answer.status_code == 400
    assert answer.get_json()["error"]


def test_authorize_with_a_garbage_login_ticket_goes_back_with_access_denied(client, spa):
    refused = authorize_with_ticket(client, spa, "x" * 3000)

    assert query_of(refused.headers["Location"])["error"] == "access_denied"


def test_housekeeping_forgets_login_tickets_past_their_two_minutes(app, client, spa):
    embedded_ticket(app, client, spa)

    with app.app_context():
        now = housekeeping.purge_expired(utcnow())["verified_sign_ins"]
        later = housekeeping.purge_expired(utcnow() + timedelta(minutes=3))["verified_sign_ins"]
        left = db.session.query(VerifiedSignIn).count()

    assert (now, later, left) == (0, 1, 0)


def test_deleting_an_app_deletes_its_login_tickets(app, client, spa):
    embedded_ticket(app, client, spa)

    with app.app_context():
        delete_client(find_client(spa.client_id))
        assert db.session.query(VerifiedSignIn).count() == 0


# --- Hosted page ---------------------------------------------------------------------------


def hosted_start(client, relying_app: RelyingApp, send: str = "code", origin: str = OWN):
    """auth0.js on the hosted page: the server-injected state (the signed authorize
    request) and _csrf ride in authParams, as Universal Login's do."""
    page = LoginPage(client)
    page.open_authorize(**relying_app.authorize_params())
    auth_params = {
        "state": hidden_field(page.page, "authz"),
        "_csrf": csrf_token(page.page),
        "response_type": "code",
        "redirect_uri": relying_app.callback,
        "scope": "openid email",
    }
    body = {"client_id": relying_app.client_id, "connection": "email", "email": EMAIL}
    body |= {"send": send, "authParams": auth_params}
    return client.post("/passwordless/start", json=body, headers={"Origin": origin})


def hosted_verify(client, relying_app: RelyingApp, code: str, origin: str | None = OWN):
    body = {
        "connection": "email",
        "verification_code": code,
        "email": EMAIL,
        "client_id": relying_app.client_id,
    }
    return client.post(
        "/passwordless/verify", json=body, headers={"Origin": origin} if origin else {}
    )


def verify_redirect(client, relying_app: RelyingApp, code: str):
    """auth0.js's buildVerifyUrl: its own options, the code again, snake_cased."""
    query = {
        "client_id": relying_app.client_id,
        "response_type": "code",
        "redirect_uri": relying_app.callback,
        "scope": "openid email",
        "state": "whatever-the-page-says",
        "connection": "email",
        "verification_code": code,
        "email": EMAIL,
    }
    return client.get("/passwordless/verify_redirect", query_string=query)


def test_hosted_page_verifies_then_redirects_to_the_apps_callback(app, client, spa):
    started = hosted_start(client, spa)
    assert started.status_code == 200, started.get_data(as_text=True)
    code = newest_code(app, EMAIL)

    verified = hosted_verify(client, spa, code)
    done = verify_redirect(client, spa, code)

    assert verified.status_code == 200 and verified.get_json() == {}
    assert done.status_code == 302, done.get_data(as_text=True)
    back = query_of(done.headers["Location"])
    assert back["state"] == spa.state  # the app's own, from its authorize request
    tokens = spa.exchange(client, back["code"])  # with the PKCE verifier of that request
    assert tokens.status_code == 200 and "id_token" in tokens.get_json()
    again = verify_redirect(client, spa, code)
    assert again.status_code == 400


def test_hosted_start_binds_the_ticket_to_this_browser(app, client, spa):
    hosted_start(client, spa, send="link")

    with app.app_context():
        ticket = db.session.query(LoginTicket).one()
        assert not api_tickets.is_api_ticket(ticket)  # a link keeps the same-browser rules
        assert ticket.link_nonce_hash is not None
        assert ticket.authorize_params["state"] == spa.state
        assert ticket.authorize_params["code_challenge"] == spa.challenge


def test_a_link_from_the_hosted_page_keeps_the_same_browser_rules(app, client, spa):
    hosted_start(client, spa, send="link")
    link = messages_to(app, EMAIL)[-1].link.removeprefix("https://latchkey.test")

    elsewhere = app.test_client().get(link)
    scanned = app.test_client().get(link, follow_redirects=True)
    here = client.get(link)
    html = here.get_data(as_text=True)
    form = form_posting_to(html, "/login/link/")
    done = client.post(form.action, data=form.fields)

    assert elsewhere.status_code == 200
    assert "opened in another browser" in visible_text(elsewhere.get_data(as_text=True))
    assert not scanned.history  # nothing led toward the app
    assert "Continue signing in to" in visible_text(html)
    assert done.status_code == 302 and done.headers["Location"].startswith(spa.callback)
    assert query_of(done.headers["Location"])["state"] == spa.state


def test_a_start_from_another_origin_is_an_app_call_not_a_browsers(app, client, spa):
    started = hosted_start(client, spa, origin=SHOP)

    assert started.status_code == 200
    with app.app_context():
        assert api_tickets.is_api_ticket(db.session.query(LoginTicket).one())


def test_a_start_with_a_forged_csrf_token_is_an_app_call(app, client, spa):
    page = LoginPage(client)
    page.open_authorize(**spa.authorize_params())
    body = {"client_id": spa.client_id, "connection": "email", "email": EMAIL, "send": "code"}
    body["authParams"] = {"state": hidden_field(page.page, "authz"), "_csrf": "forged"}

    client.post("/passwordless/start", json=body, headers={"Origin": OWN})

    with app.app_context():
        assert api_tickets.is_api_ticket(db.session.query(LoginTicket).one())


def test_only_the_browser_that_verified_can_redirect(app, client, spa):
    hosted_start(client, spa)
    code = newest_code(app, EMAIL)
    hosted_verify(client, spa, code)
    other = app.test_client()

    refused = verify_redirect(other, spa, code)

    assert refused.status_code == 400
    assert "Location" not in refused.headers
    assert verify_redirect(client, spa, code).status_code == 302


def test_verify_redirect_without_a_verify_is_refused(app, client, spa):
    hosted_start(client, spa)

    refused = verify_redirect(client, spa, newest_code(app, EMAIL))

    assert refused.status_code == 400


@pytest.mark.parametrize("origin", [SHOP, None])
def test_verify_only_from_the_hosted_page(app, client, spa, origin):
    hosted_start(client, spa)

    refused = hosted_verify(client, spa, newest_code(app, EMAIL), origin=origin)

    assert refused.status_code == 403
    assert refused.get_json()["error"] == "access_denied"


def test_verify_with_a_wrong_code_counts_a_try(app, client, spa):
    hosted_start(client, spa)
    code = newest_code(app, EMAIL)

    wrong = hosted_verify(client, spa, wrong_code_for(code))
    right = hosted_verify(client, spa, code)

    assert wrong.status_code == 403
    assert wrong.get_json()["error_description"] == "Wrong email or verification code."
    assert right.status_code == 200
    with app.app_context():
        assert db.session.query(LoginTicket).one().consumed_at is not None


def test_verify_redirect_for_an_unknown_app_is_a_page(client):
    answer = client.get("/passwordless/verify_redirect", query_string={"client_id": "nope"})

    assert answer.status_code == 400 and answer.mimetype == "text/html"


def test_the_code_in_verify_redirects_url_is_not_logged(app, client, spa, caplog):
    hosted_start(client, spa)
    code = newest_code(app, EMAIL)
    hosted_verify(client, spa, code)

    with caplog.at_level("INFO"):
        verify_redirect(client, spa, code)

    assert code not in caplog.text
