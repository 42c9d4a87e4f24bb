"""What Lock fetches before it draws: `/client/<client_id>.js` (JSONP, the app's
passwordless connections in Auth0's shape) and `/user/geoloc/country` (the SMS country
it starts on, from a header the operator's proxy sets or the hosted page's choice)."""

from __future__ import annotations

import json

import pytest

from app.accounts import lock_settings
from app.accounts.clients import create_client
from app.accounts.connections import update_connection

ORIGIN = "https://shop.example.com"


@pytest.fixture
def registered(app):
    with app.app_context():
        client, _ = create_client(
            "Shop",
            ["https://shop.example.com/callback", "https://shop.example.com/other"],
            origins=[ORIGIN],
            connections=["email", "sms"],
        )
        return client.client_id


def _set_client(response) -> dict:
    body = response.get_data(as_text=True)
    assert body.startswith("Auth0.setClient(") and body.endswith(");\n"), body
    return json.loads(body[len("Auth0.setClient(") : -len(");\n")])


def test_lock_reads_the_apps_passwordless_connections_in_auth0s_shape(client, registered):
    response = client.get(f"/client/{registered}.js?t1764480000000")
    assert response.status_code == 200
    assert response.mimetype == "application/javascript"
    assert response.headers["Cache-Control"] == "no-store"
    assert _set_client(response) == {
        "id": registered,
        "tenant": "latchkey.test",
        "authorize": "https://latchkey.test/authorize",
        "callback": "https://shop.example.com/callback",
        "hasAllowedOrigins": True,
        "strategies": [
            {"name": "email", "connections": [{"name": "email", "display_name": "email"}]},
            {"name": "sms", "connections": [{"name": "sms", "display_name": "sms"}]},
        ],
    }


def test_an_app_with_email_only_offers_lock_email_only(app, client):
    with app.app_context():
        only_email = create_client("Mail", ["https://mail.example.com/cb"])[0].client_id
    settings = _set_client(client.get(f"/client/{only_email}.js"))
    assert [strategy["name"] for strategy in settings["strategies"]] == ["email"]
    assert settings["hasAllowedOrigins"] is False


@pytest.mark.parametrize(
    "client_id",
    ["nobody-registered-this", "x" * 65, "a%20b", "%3Cscript%3E", "..", "a.b", "%00"],
)
def test_an_unknown_app_gets_a_404_script_that_says_so(client, registered, client_id):
    response = client.get(f"/client/{client_id}.js")
    assert response.status_code == 404
    assert response.mimetype == "application/javascript"
    assert "no app is registered with this client_id" in response.get_data(as_text=True)


def test_settings_are_escaped_so_nothing_can_end_the_script():
    text = lock_settings.jsonp("setClient", {"callback": "https://x/</script><b>&\u2028"})
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text[len("Auth0.setClient(") : -3]) == {
        "callback": "https://x/</script><b>&\u2028"
    }


def _country(client, **headers) -> str:
    response = client.get("/user/geoloc/country", headers=headers)
    assert response.status_code == 200
    return response.get_json()["countryCode"]


def test_without_a_proxy_header_lock_starts_where_the_hosted_page_would(app, client):
    assert _country(client) == "US"
    assert _country(client, **{"Accept-Language": "en-GB,en;q=0.8"}) == "GB"
    with app.app_context():
        update_connection("sms", default_country="DE")
    assert _country(client, **{"Accept-Language": "en-GB"}) == "DE"


def test_the_header_is_read_only_when_the_operator_names_it(make_app):
    unset = make_app().test_client()
    assert _country(unset, **{"CF-IPCountry": "FR"}) == "US"
    proxied = make_app(GEOLOC_COUNTRY_HEADER="CF-IPCountry").test_client()
    assert _country(proxied, **{"CF-IPCountry": "FR"}) == "FR"
    assert _country(proxied, **{"CF-IPCountry": "fr"}) == "FR"


@pytest.mark.parametrize("sent", ["XX", "T1", "", "FRA", "<s>", "F\u00e9"])
def test_a_header_that_names_no_country_is_ignored(make_app, sent):
    proxied = make_app(GEOLOC_COUNTRY_HEADER="CF-IPCountry").test_client()
    assert _country(proxied, **{"CF-IPCountry": sent, "Accept-Language": "nl-NL"}) == "NL"


def test_a_country_sms_may_not_go_to_is_not_offered(make_app):
    app = make_app(GEOLOC_COUNTRY_HEADER="CF-IPCountry")
    with app.app_context():
        update_connection("sms", allowed_countries=["GB", "IE"])
    assert _country(app.test_client(), **{"CF-IPCountry": "FR"}) == "GB"
    assert _country(app.test_client(), **{"CF-IPCountry": "IE"}) == "IE"


def test_lock_embedded_in_a_registered_origin_may_read_the_country(client, registered):
    allowed = client.get("/user/geoloc/country", headers={"Origin": ORIGIN})
    assert allowed.headers["Access-Control-Allow-Origin"] == ORIGIN
    other = client.get("/user/geoloc/country", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers


@pytest.mark.parametrize("path", ["/passwordless/challenge", "/usernamepassword/challenge"])
def test_lock_is_told_no_captcha_is_asked(client, registered, path):
    response = client.post(path, json={"state": "anything"}, headers={"Origin": ORIGIN})
    assert response.status_code == 200
    assert response.get_json() == {"required": False}
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    preflight = client.options(path, headers={"Origin": ORIGIN})
    assert preflight.headers["Access-Control-Allow-Origin"] == ORIGIN
    other = client.post(path, json={}, headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers
