"""Where Authlib alone lets a request through that the standards refuse, and the
answers a client library must be able to read (issue 11's list of deviations)."""

from __future__ import annotations

import base64

import pytest
from helpers import LoginPage, RelyingApp, query_of, signed_in_code, userinfo
from test_tokens import assert_oauth_error

EMAIL = "pat@example.com"
ISSUER = "https://latchkey.test"
SPA_ORIGIN = "https://spa.example"
FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def shop(app) -> RelyingApp:
    return RelyingApp.register(app, callbacks=("https://app.example/cb",))


@pytest.fixture
def spa(app) -> RelyingApp:
    return RelyingApp.register(app, "spa", callbacks=(SPA_ORIGIN + "/cb",), origins=(SPA_ORIGIN,))


def basic(client_id: str, secret: str) -> dict[str, str]:
    pair = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {pair}"}


# The token endpoint (RFC 6749 §2.3, §3.2, §5.2)


def test_missing_grant_type_is_invalid_request(client, shop):
    code = signed_in_code(client, shop, EMAIL)

    response = shop.exchange(client, code, grant_type=None)

    body = assert_oauth_error(response, "invalid_request", 400)
    assert "grant_type" in body["error_description"]


def test_an_empty_grant_type_is_invalid_request(client, shop):
    response = client.post(
        "/oauth/token", data={"grant_type": ""}, auth=(shop.client_id, shop.secret)
    )

    assert_oauth_error(response, "invalid_request", 400)


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"grant_type": "password", "username": "a", "password": "b"}, "unsupported_grant_type"),
        (
            {"grant_type": "authorization_code", "code": "nope", "redirect_uri": "x"},
            "invalid_grant",
        ),
        ({"grant_type": "refresh_token", "refresh_token": "nope"}, "invalid_grant"),
        ({"grant_type": "refresh_token"}, "invalid_request"),
    ],
)
def test_every_token_error_carries_a_description(client, shop, data, error):
    response = client.post("/oauth/token", data=data, auth=(shop.client_id, shop.secret))

    body = assert_oauth_error(response, error)
    assert body["error_description"].strip()


def test_a_parameter_sent_twice_is_refused(client, shop):
    code = signed_in_code(client, shop, EMAIL)
    body = (
        f"grant_type=authorization_code&code={code}&code=other"
        f"&redirect_uri={shop.callback}&code_verifier={shop.verifier}"
    )

    response = client.post(
        "/oauth/token", data=body, content_type=FORM, headers=basic(shop.client_id, shop.secret)
    )

    answer = assert_oauth_error(response, "invalid_request", 400)
    assert "'code'" in answer["error_description"]
    assert shop.exchange(client, code).status_code == 200  # the refused request burnt nothing


def test_a_parameter_in_both_the_query_and_the_body_is_refused(client, shop):
    code = signed_in_code(client, shop, EMAIL)

    response = client.post(
        "/oauth/token?code=other",
        data=shop.code_body(code),
        auth=(shop.client_id, shop.secret),
    )

    assert_oauth_error(response, "invalid_request", 400)


def test_basic_and_client_secret_in_the_body_together_are_refused(client, shop):
    code = signed_in_code(client, shop, EMAIL)

    response = client.post(
        "/oauth/token",
        data=shop.code_body(code, client_id=shop.client_id, client_secret=shop.secret),
        auth=(shop.client_id, shop.secret),
    )

    body = assert_oauth_error(response, "invalid_request", 400)
    assert "one client authentication method" in body["error_description"]


def test_basic_and_another_client_id_in_the_body_are_refused(client, app, shop):
    other = RelyingApp.register(app, callbacks=("https://other.example/cb",))
    code = signed_in_code(client, shop, EMAIL)

    response = shop.exchange(client, code, client_id=other.client_id)

    assert_oauth_error(response, "invalid_request", 400)
    assert shop.exchange(client, code, client_id=shop.client_id).status_code == 200


def test_each_method_alone_still_works(client, shop):
    by_basic = shop.exchange(client, signed_in_code(client, shop, EMAIL))
    by_post = client.post(
        "/oauth/token",
        data=shop.code_body(
            signed_in_code(client, shop, EMAIL, prompt="login"),
            client_id=shop.client_id,
            client_secret=shop.secret,
        ),
    )

    assert by_basic.status_code == 200, by_basic.get_json()
    assert by_post.status_code == 200, by_post.get_json()


# The authorize endpoint: request objects and response modes


@pytest.mark.parametrize(
    ("extra", "error"),
    [
        ({"request": "eyJhbGciOiJub25lIn0.e30."}, "request_not_supported"),
        ({"request_uri": "https://app.example/request.jwt"}, "request_uri_not_supported"),
        ({"response_mode": "fragment"}, "invalid_request"),
        ({"response_mode": 'x"<y>'}, "invalid_request"),
    ],
)
def test_unsupported_authorize_parameters_are_refused_to_the_callback(client, shop, extra, error):
    response = client.get("/authorize", query_string=shop.authorize_params(**extra))

    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(shop.callback + "?")
    answer = query_of(location)
    assert answer["error"] == error
    assert answer["error_description"]
    assert answer["state"] == shop.state
    assert answer["iss"] == ISSUER


def test_response_mode_query_is_accepted(client, shop):
    done = LoginPage(client).sign_in(EMAIL, **shop.authorize_params(response_mode="query"))

    assert done.status_code == 302
    assert query_of(done.headers["Location"])["code"]


def test_discovery_says_request_objects_are_not_supported(client):
    doc = client.get("/.well-known/openid-configuration").get_json()

    assert doc["request_parameter_supported"] is False
    assert doc["request_uri_parameter_supported"] is False
    assert doc["response_modes_supported"] == ["query", "form_post", "web_message"]


# Nonces and scopes


def test_a_client_may_send_the_same_nonce_again(client, shop):
    first = signed_in_code(client, shop, EMAIL, nonce="same-nonce")
    again = signed_in_code(client, shop, EMAIL, nonce="same-nonce", prompt="login")

    assert shop.exchange(client, first).status_code == 200
    assert shop.exchange(client, again).status_code == 200


def test_profile_is_not_offered_and_asking_for_it_still_signs_in(client, shop):
    doc = client.get("/.well-known/openid-configuration").get_json()
    assert "profile" not in doc["scopes_supported"]

    code = signed_in_code(client, shop, EMAIL, scope="openid profile email")
    body = shop.exchange(client, code).get_json()

    assert body["scope"].split() == ["openid", "email"]
    assert userinfo(client, body["access_token"]).get_json()["email"] == EMAIL


# /userinfo (RFC 6750)


def access_token_for(client, relying_app: RelyingApp) -> str:
    return relying_app.exchange(client, signed_in_code(client, relying_app, EMAIL)).get_json()[
        "access_token"
    ]


@pytest.mark.parametrize("authorization", [None, "Basic dXNlcjpwYXNz", "Digest x"])
def test_userinfo_without_a_bearer_token_names_no_error(client, authorization):
    headers = {"Authorization": authorization} if authorization else {}

    response = client.get("/userinfo", headers=headers)

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == f'Bearer realm="{ISSUER}"'
    assert "error" not in response.get_json()


def test_userinfo_with_an_invalid_token_says_invalid_token(client):
    response = userinfo(client, "not-a-token")

    assert response.status_code == 401
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith(f'Bearer realm="{ISSUER}"')
    assert 'error="invalid_token"' in challenge
    assert response.get_json()["error"] == "invalid_token"


def test_userinfo_takes_the_token_from_a_form_body(client, shop):
    token = access_token_for(client, shop)

    response = client.post("/userinfo", data={"access_token": token})

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["email"] == EMAIL


@pytest.mark.parametrize("where", ["header and body", "body twice", "query"])
def test_userinfo_refuses_a_token_sent_two_ways_or_in_the_url(client, shop, where):
    token = access_token_for(client, shop)
    if where == "header and body":
        response = client.post(
            "/userinfo", data={"access_token": token}, headers={"Authorization": f"Bearer {token}"}
        )
    elif where == "body twice":
        response = client.post(
            "/userinfo", data=f"access_token={token}&access_token={token}", content_type=FORM
        )
    else:
        response = client.get("/userinfo", query_string={"access_token": token})

    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_request"
    assert response.get_json()["error_description"]


def test_a_json_body_token_is_not_read(client, shop):
    token = access_token_for(client, shop)

    response = client.post("/userinfo", json={"access_token": token})

    assert response.status_code == 401
    assert "error" not in response.get_json()


@pytest.mark.parametrize("token", [None, "not-a-token"])
def test_userinfo_401_is_readable_by_a_registered_browser_app(client, spa, token):
    headers = {"Origin": SPA_ORIGIN}
    if token:
        headers["Authorization"] = f"Bearer {token}"

    response = client.get("/userinfo", headers=headers)

    assert response.status_code == 401
    assert response.headers["Access-Control-Allow-Origin"] == SPA_ORIGIN
    assert "WWW-Authenticate" in response.headers["Access-Control-Expose-Headers"]


def test_userinfo_401_is_not_shared_with_unregistered_origins(client, spa):
    response = client.get("/userinfo", headers={"Origin": "https://evil.example"})

    assert response.status_code == 401
    assert "Access-Control-Allow-Origin" not in response.headers


def test_userinfo_success_still_uses_the_tokens_own_app_origins(client, app, spa):
    RelyingApp.register(
        app, "spa", callbacks=("https://other.example/cb",), origins=("https://other.example",)
    )
    token = access_token_for(client, spa)

    mine = client.get(
        "/userinfo", headers={"Authorization": f"Bearer {token}", "Origin": SPA_ORIGIN}
    )
    theirs = client.get(
        "/userinfo",
        headers={"Authorization": f"Bearer {token}", "Origin": "https://other.example"},
    )

    assert mine.headers["Access-Control-Allow-Origin"] == SPA_ORIGIN
    assert "Access-Control-Allow-Origin" not in theirs.headers


# The revocation endpoint follows the same rules


def test_revocation_refuses_repeated_parameters_and_two_client_auth_methods(client, shop):
    twice = client.post(
        "/oauth/revoke",
        data="token=a&token=b",
        content_type=FORM,
        headers=basic(shop.client_id, shop.secret),
    )
    both = client.post(
        "/oauth/revoke",
        data={"token": "a", "client_id": shop.client_id, "client_secret": shop.secret},
        headers=basic(shop.client_id, shop.secret),
    )

    assert_oauth_error(twice, "invalid_request", 400)
    assert_oauth_error(both, "invalid_request", 400)


def test_a_browser_app_may_revoke_from_its_registered_origin(client, spa):
    response = client.post(
        "/oauth/revoke",
        data={"token": "unknown", "client_id": spa.client_id},
        headers={"Origin": SPA_ORIGIN},
    )

    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == SPA_ORIGIN
