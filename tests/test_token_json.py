"""/oauth/token reads JSON bodies (Auth0's SDKs post JSON) exactly as it reads forms."""

from __future__ import annotations

import pytest
from helpers import RelyingApp, signed_in_code

EMAIL = "pat@example.com"


@pytest.fixture
def shop(app) -> RelyingApp:
    return RelyingApp.register(app)


def exchange_body(relying_app: RelyingApp, signed_in: str, **overrides) -> dict:
    body = {
        "grant_type": "authorization_code",
        "code": signed_in,
        "redirect_uri": relying_app.callback,
        "code_verifier": relying_app.verifier,
        "client_id": relying_app.client_id,
        "client_secret": relying_app.secret,
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def both_ways(client, body: dict):
    """The same parameters posted as a form and as JSON: (status, body) of each."""
    form = client.post("/oauth/token", data=body)
    json = client.post("/oauth/token", json=body)
    return (form.status_code, form.get_json()), (json.status_code, json.get_json())


def test_a_code_exchange_works_with_a_json_body(client, shop):
    code = signed_in_code(client, shop, EMAIL)
    answer = client.post("/oauth/token", json=exchange_body(shop, code))
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert {"access_token", "id_token", "expires_in", "token_type"} <= set(answer.get_json())


def test_form_and_json_bodies_get_the_same_successful_answer(app, client, shop):
    first = signed_in_code(client, shop, EMAIL)
    second = signed_in_code(app.test_client(), shop, EMAIL, nonce="second")  # another browser
    by_form = client.post("/oauth/token", data=exchange_body(shop, first))
    by_json = client.post("/oauth/token", json=exchange_body(shop, second))
    assert by_form.status_code == by_json.status_code == 200
    assert set(by_form.get_json()) == set(by_json.get_json())
    assert by_form.get_json()["scope"] == by_json.get_json()["scope"]


@pytest.mark.parametrize(
    "overrides",
    [
        {"code": "not-a-code"},
        {"code": None},
        {"client_secret": "wrong"},
        {"client_id": "nobody", "client_secret": None},
        {"grant_type": "password"},
        {"grant_type": None},
        {"redirect_uri": "https://evil.example/cb"},
        {"code_verifier": "x" * 50},
    ],
    ids=lambda o: ",".join(f"{k}={'-' if v is None else v[:12]}" for k, v in o.items()),
)
def test_form_and_json_bodies_get_the_same_errors(client, shop, overrides):
    code = signed_in_code(client, shop, EMAIL)
    body = exchange_body(shop, code, **overrides)
    (form_status, form_body), (json_status, json_body) = both_ways(client, body)
    assert form_status == json_status and 400 <= form_status < 500
    assert form_body["error"] == json_body["error"]


@pytest.mark.parametrize(
    "raw", ["[]", "null", "{broken", '{"grant_type": 7}'], ids=["list", "null", "garbled", "number"]
)
def test_json_that_holds_no_parameters_is_an_oauth_error(client, raw):
    answer = client.post("/oauth/token", data=raw, content_type="application/json")
    assert 400 <= answer.status_code < 500
    assert answer.get_json()["error"] in ("invalid_request", "unsupported_grant_type")
