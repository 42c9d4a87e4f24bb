"""/oauth/token, /userinfo, signing keys and logout: what an app gets, and what a thief doesn't."""

from __future__ import annotations

import base64
import re

import pytest
from freezegun import freeze_time
from helpers import (
    LoginPage,
    RelyingApp,
    form_posting_to,
    query_of,
    signed_in_code,
    userinfo,
    visible_text,
)
from joserfc import jwt
from joserfc.jwk import KeySet
from sqlalchemy import update

from app.extensions import db
from app.models import SigningKey, utcnow
from app.oidc import keys

EMAIL = "pat@example.com"
ISSUER = "https://latchkey.test"


@pytest.fixture
def shop(app) -> RelyingApp:
    return RelyingApp.register(
        app, callbacks=("https://app.example/cb",), logout_urls=("https://app.example/bye",)
    )


@pytest.fixture
def spa(app) -> RelyingApp:
    return RelyingApp.register(app, "spa", callbacks=("https://spa.example/cb",))


def assert_oauth_error(response, error: str, status: int | None = None) -> dict:
    body = response.get_json()
    assert body is not None, response.get_data(as_text=True)[:300]
    assert body["error"] == error, body
    assert "access_token" not in body and "id_token" not in body
    if status is not None:
        assert response.status_code == status
    else:
        assert 400 <= response.status_code < 500
    assert response.headers["Cache-Control"] == "no-store"
    return body


def jwks(client) -> KeySet:
    return KeySet.import_key_set(client.get("/.well-known/jwks.json").get_json())


def verified(client, id_token: str) -> jwt.Token:
    """The ID token, its signature checked against the published JWKS (RS256 only)."""
    return jwt.decode(id_token, jwks(client), algorithms=["RS256"])


def id_token_for(client, relying_app: RelyingApp, **overrides: str) -> str:
    code = signed_in_code(client, relying_app, EMAIL, **overrides)
    return relying_app.exchange(client, code).get_json()["id_token"]


# Exchanging a code


def test_code_exchange_returns_tokens_the_app_can_verify(client, shop):
    code = signed_in_code(client, shop, EMAIL)

    response = shop.exchange(client, code)

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert body["token_type"].lower() == "bearer"
    token = verified(client, body["id_token"])
    assert token.header["alg"] == "RS256"
    assert token.claims["iss"] == ISSUER
    assert token.claims["aud"] == shop.client_id
    assert token.claims["nonce"] == shop.nonce
    assert token.claims["email"] == EMAIL
    info = userinfo(client, body["access_token"])
    assert info.status_code == 200
    assert info.get_json()["sub"] == token.claims["sub"]


def test_codes_and_access_tokens_are_long_random_url_safe_strings(client, shop):
    codes = [signed_in_code(client, shop, EMAIL, prompt="login") for _ in range(2)]
    tokens = [shop.exchange(client, code).get_json()["access_token"] for code in codes]

    assert all(re.fullmatch(r"[A-Za-z0-9_-]{48}", code) for code in codes)  # 288 bits
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{43}", token) for token in tokens)  # 256 bits
    assert len(set(codes)) == len(set(tokens)) == 2


def test_replayed_code_is_refused_and_revokes_what_it_issued(client, shop):
    code = signed_in_code(client, shop, EMAIL)
    first = shop.exchange(client, code)
    access_token = first.get_json()["access_token"]
    assert userinfo(client, access_token).status_code == 200

    replay = shop.exchange(client, code)

    assert_oauth_error(replay, "invalid_grant")
    stolen = userinfo(client, access_token)
    assert stolen.status_code == 401
    assert stolen.get_json()["error"] == "invalid_token"


def test_expired_code_is_refused(client, shop):
    with freeze_time() as frozen:
        code = signed_in_code(client, shop, EMAIL)
        frozen.tick(61)

        response = shop.exchange(client, code)

    assert_oauth_error(response, "invalid_grant")


def test_code_works_within_its_lifetime(client, shop):
    with freeze_time() as frozen:
        code = signed_in_code(client, shop, EMAIL)
        frozen.tick(59)

        response = shop.exchange(client, code)

    assert response.status_code == 200, response.get_json()


@pytest.mark.parametrize("code", ["", "nope", "x" * 5000, "%00", "' OR 1=1 --"])
def test_unknown_code_is_invalid_grant(client, shop, code):
    signed_in_code(client, shop, EMAIL)

    response = shop.exchange(client, code)

    assert_oauth_error(response, "invalid_grant")


def test_wrong_client_secret_is_invalid_client(client, shop):
    code = signed_in_code(client, shop, EMAIL)

    response = shop.exchange(client, code, client_secret="not-the-secret")

    assert_oauth_error(response, "invalid_client", 401)
    # a failed authentication does not burn the code for the real app
    assert shop.exchange(client, code).status_code == 200


def test_regular_client_without_authentication_is_refused(client, shop):
    code = signed_in_code(client, shop, EMAIL)

    response = client.post(
        "/oauth/token",
        data=shop.code_body(code, client_id=shop.client_id),
    )

    assert_oauth_error(response, "invalid_client", 401)


def test_client_secret_post_is_accepted(client, shop):
    code = signed_in_code(client, shop, EMAIL)

    response = client.post(
        "/oauth/token",
        data=shop.code_body(code, client_id=shop.client_id, client_secret=shop.secret),
    )

    assert response.status_code == 200, response.get_json()


def test_public_client_without_code_verifier_is_refused(client, spa):
    code = signed_in_code(client, spa, EMAIL)

    response = spa.exchange(client, code, code_verifier=None)

    assert_oauth_error(response, "invalid_request")


def test_public_client_with_wrong_code_verifier_is_refused(client, spa):
    code = signed_in_code(client, spa, EMAIL)

    response = spa.exchange(client, code, code_verifier="w" * 64)

    assert_oauth_error(response, "invalid_grant")


def test_regular_client_that_used_pkce_must_send_the_verifier(client, shop):
    code = signed_in_code(client, shop, EMAIL)

    assert_oauth_error(shop.exchange(client, code, code_verifier="w" * 64), "invalid_grant")


def test_public_client_with_right_verifier_gets_tokens_without_a_secret(client, spa):
    code = signed_in_code(client, spa, EMAIL)

    response = spa.exchange(client, code)

    assert response.status_code == 200, response.get_json()
    assert verified(client, response.get_json()["id_token"]).claims["aud"] == spa.client_id


def test_public_client_cannot_pose_as_confidential(client, spa):
    code = signed_in_code(client, spa, EMAIL)

    response = client.post(
        "/oauth/token",
        data=spa.code_body(code),
        auth=(spa.client_id, "made-up-secret"),
    )

    assert_oauth_error(response, "invalid_client", 401)


def test_code_issued_to_one_app_is_useless_to_another(client, app, shop):
    thief = RelyingApp.register(app, callbacks=("https://app.example/cb",), name="Thief")
    code = signed_in_code(client, shop, EMAIL)

    stolen = thief.exchange(client, code)

    assert_oauth_error(stolen, "invalid_grant")
    assert shop.exchange(client, code).status_code == 200


def test_redirect_uri_must_match_the_authorize_request(client, app):
    two_callbacks = RelyingApp.register(
        app, callbacks=("https://app.example/cb", "https://app.example/other")
    )
    code = signed_in_code(client, two_callbacks, EMAIL)

    response = two_callbacks.exchange(client, code, redirect_uri="https://app.example/other")

    assert_oauth_error(response, "invalid_grant")


@pytest.mark.parametrize(
    "grant_type", ["password", "client_credentials", "implicit", "refresh_token", "", "x" * 500]
)
def test_other_grant_types_are_refused(client, shop, grant_type):
    response = client.post(
        "/oauth/token",
        data={"grant_type": grant_type, "username": EMAIL, "password": "x"},
        auth=(shop.client_id, shop.secret),
    )

    body = response.get_json()
    assert body["error"] in ("unsupported_grant_type", "invalid_request", "unauthorized_client")
    assert "access_token" not in body


def test_token_endpoint_answers_garbage_with_json(client):
    response = client.post(
        "/oauth/token",
        data=b"\xff\xfe\x00garbage",
        content_type="application/x-www-form-urlencoded",
    )

    assert 400 <= response.status_code < 500
    assert response.get_json()["error"]


# /userinfo


def test_userinfo_without_token_is_401_json_with_a_bare_challenge(client):
    response = client.get("/userinfo")

    assert response.status_code == 401
    assert response.is_json
    assert "error" not in response.get_json()  # RFC 6750 §3.1: no credentials, no code
    assert response.get_json()["error_description"]
    assert response.headers["WWW-Authenticate"] == f'Bearer realm="{ISSUER}"'


@pytest.mark.parametrize(
    "authorization",
    ["Bearer nope", "Bearer " + "x" * 5000, "Bearer", "bearer  "],
)
def test_userinfo_with_a_bad_token_is_401_json(client, authorization):
    response = client.get("/userinfo", headers={"Authorization": authorization})

    assert response.status_code in (400, 401)
    assert response.get_json()["error"]


def test_userinfo_token_expires(client, shop):
    with freeze_time() as frozen:
        code = signed_in_code(client, shop, EMAIL)
        access_token = shop.exchange(client, code).get_json()["access_token"]
        frozen.tick(3601)

        response = userinfo(client, access_token)

    assert response.status_code == 401


def test_userinfo_follows_the_granted_scope(client, shop):
    code = signed_in_code(client, shop, EMAIL, scope="openid")
    access_token = shop.exchange(client, code).get_json()["access_token"]

    claims = userinfo(client, access_token).get_json()

    assert "sub" in claims
    assert "email" not in claims


def test_blocked_user_loses_access_at_once(client, app, shop):
    from app.accounts import users

    code = signed_in_code(client, shop, EMAIL)
    access_token = shop.exchange(client, code).get_json()["access_token"]
    with app.app_context():
        users.set_blocked(users.find_by_identity("email", EMAIL), True)

    assert userinfo(client, access_token).status_code == 401


# Signing keys


def test_rotating_keys_keeps_the_old_kid_published_and_signs_with_the_new(client, app, shop):
    old_kid = verified(client, id_token_for(client, shop)).header["kid"]

    with app.app_context():
        new_kid = keys.rotate().kid

    published = [key["kid"] for key in client.get("/.well-known/jwks.json").get_json()["keys"]]
    assert old_kid in published and new_kid in published
    after = verified(client, id_token_for(client, shop, nonce="second-sign-in", prompt="login"))
    assert after.header["kid"] == new_kid != old_kid


def _retire_in_sql(app, kid: str) -> None:
    """What another process's `keys retire` leaves behind: only the row changes (this
    process is told nothing)."""
    with app.app_context():
        db.session.execute(
            update(SigningKey).where(SigningKey.kid == kid).values(retired_at=utcnow())
        )
        db.session.commit()


def test_a_key_retired_elsewhere_signs_nothing_from_the_next_request(client, app, shop):
    """This process keeps the keys it has used; whether one is still the current key
    comes from the database with each token request, so a rotation or a retirement by
    another process takes effect at once."""
    first_kid = verified(client, id_token_for(client, shop)).header["kid"]
    with app.app_context():
        new_kid = keys.rotate().kid
    assert verified(client, id_token_for(client, shop, prompt="login")).header["kid"] == new_kid

    _retire_in_sql(app, new_kid)

    assert verified(client, id_token_for(client, shop, prompt="login")).header["kid"] == first_kid
    _retire_in_sql(app, first_kid)
    last = verified(client, id_token_for(client, shop, prompt="login")).header["kid"]
    assert last not in (first_kid, new_kid)
    published = [key["kid"] for key in jwks(client).as_dict()["keys"]]
    assert published == [last]


def test_jwks_publishes_only_public_parts(client, shop):
    signed_in_code(client, shop, EMAIL)

    keys = client.get("/.well-known/jwks.json").get_json()["keys"]

    assert keys
    for key in keys:
        assert key["kty"] == "RSA" and key["kid"]
        assert not {"d", "p", "q", "dp", "dq", "qi"} & set(key)


def test_discovery_describes_this_issuer(client):
    doc = client.get("/.well-known/openid-configuration").get_json()

    assert doc["issuer"] == ISSUER
    assert doc["jwks_uri"] == ISSUER + "/.well-known/jwks.json"
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert doc["authorization_response_iss_parameter_supported"] is True


# Logout


def test_logout_returns_to_a_registered_url_with_state(client, shop):
    id_token = id_token_for(client, shop)

    response = client.get(
        "/logout",
        query_string={
            "id_token_hint": id_token,
            "post_logout_redirect_uri": "https://app.example/bye",
            "state": "bye-state",
        },
    )

    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("https://app.example/bye?")
    assert query_of(location)["state"] == "bye-state"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/bye",
        "https://app.example/bye/",
        "https://app.example/bye?x=1",
        "https://app.example/cb",  # a login callback is not a logout URL
        "https://app.example@evil.example/bye",
    ],
)
def test_logout_never_redirects_to_an_unregistered_url(client, shop, target):
    id_token = id_token_for(client, shop)

    response = client.get(
        "/logout",
        query_string={"id_token_hint": id_token, "post_logout_redirect_uri": target},
    )

    assert "Location" not in response.headers
    assert response.status_code in (200, 400)


def test_logout_without_id_token_hint_does_not_redirect(client, shop):
    response = client.get(
        "/logout",
        query_string={
            "client_id": shop.client_id,
            "post_logout_redirect_uri": "https://app.example/bye",
        },
    )

    assert "Location" not in response.headers


@pytest.mark.parametrize("hint", ["garbage", "a.b.c", "x" * 5000])
def test_logout_with_a_forged_id_token_hint_is_a_page(client, shop, hint):
    response = client.get(
        "/logout",
        query_string={"id_token_hint": hint, "post_logout_redirect_uri": "https://app.example/bye"},
    )

    assert response.status_code == 400
    assert "Location" not in response.headers
    assert "Something went wrong" not in response.get_data(as_text=True)


def test_logout_with_id_token_of_another_app_does_not_use_its_urls(client, app, shop):
    other = RelyingApp.register(
        app, callbacks=("https://other.example/cb",), logout_urls=("https://other.example/bye",)
    )
    id_token = id_token_for(client, shop)

    response = client.get(
        "/logout",
        query_string={
            "id_token_hint": id_token,
            "client_id": other.client_id,
            "post_logout_redirect_uri": "https://other.example/bye",
        },
    )

    assert "Location" not in response.headers
    assert response.status_code == 400


def test_logout_without_an_id_token_hint_asks_first(client):
    """Any site could send the browser to /logout: without a valid id_token_hint
    nothing happens until the person confirms (OIDC RP-Initiated Logout §6)."""
    asked = client.get("/logout")

    assert asked.status_code == 200
    assert "Location" not in asked.headers
    assert "Sign out?" in visible_text(asked.get_data(as_text=True))
    confirm = form_posting_to(asked.get_data(as_text=True), "/logout")
    done = client.post("/logout", data=confirm.fields)
    assert "You are signed out" in done.get_data(as_text=True)


def sso_is_live(app, http) -> bool:
    from app.accounts import sessions

    cookie = http.get_cookie(app.config["SSO_COOKIE_NAME"])
    with app.test_request_context():
        return sessions.current(cookie.value if cookie else None) is not None


def test_an_id_token_of_another_user_does_not_sign_this_browser_out(app, shop):
    """Any site can get an ID token for its own user and send it as the hint: the
    victim's browser is asked first, and stays signed in until the person confirms."""
    attacker, victim = app.test_client(), app.test_client()
    attackers_token = id_token_for(attacker, shop)
    signed_in_code(victim, shop, "victim@example.com", nonce="victims-own-nonce")
    assert sso_is_live(app, victim)

    response = victim.get(
        "/logout",
        query_string={
            "id_token_hint": attackers_token,
            "post_logout_redirect_uri": "https://app.example/bye",
        },
    )

    assert response.status_code == 200
    assert "Location" not in response.headers
    assert "Sign out?" in visible_text(response.get_data(as_text=True))
    assert sso_is_live(app, victim)


def test_an_id_token_of_this_browsers_user_signs_out_at_once(app, shop):
    browser = app.test_client()
    own_token = id_token_for(browser, shop)
    assert sso_is_live(app, browser)

    response = browser.get("/logout", query_string={"id_token_hint": own_token})

    assert "You are signed out" in response.get_data(as_text=True)
    assert not sso_is_live(app, browser)


def test_an_id_token_for_a_removed_app_asks_first(app, client, shop):
    from app.accounts import clients

    hint = id_token_for(client, shop)
    with app.app_context():
        clients.delete_client(clients.find_client(shop.client_id))

    response = client.get("/logout", query_string={"id_token_hint": hint})

    assert "Sign out?" in visible_text(response.get_data(as_text=True))
    assert sso_is_live(app, client)


def test_a_forged_logout_post_without_the_csrf_token_only_asks(client):
    response = client.post("/logout", data={"client_id": "x"})

    assert response.status_code == 200
    assert "Sign out?" in visible_text(response.get_data(as_text=True))


def test_sign_in_again_after_logout(client, shop):
    client.get("/logout")

    done = LoginPage(client).sign_in(EMAIL, **shop.authorize_params())

    assert done.status_code == 302


@pytest.mark.parametrize(
    "authorization",
    [
        "Basic é",  # a Latin-1 byte in the header, as a raw HTTP client can send
        "Basic !!!!",
        "Basic " + base64.b64encode(b"no-colon").decode(),
        "Basic " + base64.b64encode(b"\xff\xfe:\xff").decode(),  # not UTF-8
        "Basic " + base64.b64encode(b":").decode(),
        "Basic",
        "Bearer abc",
    ],
)
def test_garbled_client_authentication_is_invalid_client_not_a_500(client, shop, authorization):
    code = signed_in_code(client, shop, EMAIL)

    response = client.post(
        "/oauth/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": shop.callback},
        headers={"Authorization": authorization},
    )

    assert_oauth_error(response, "invalid_client", 401)
    assert shop.exchange(client, code).status_code == 200  # the code still works for the app
