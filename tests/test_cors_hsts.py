"""HSTS under HTTPS; CORS only on token and userinfo, only for registered origins."""

from __future__ import annotations

from helpers import LoginPage, RelyingApp, query_of

SPA_ORIGIN = "https://spa.example"


def register_spa(app) -> RelyingApp:
    return RelyingApp.register(
        app, client_type="spa", callbacks=(SPA_ORIGIN + "/cb",), origins=(SPA_ORIGIN,)
    )


def test_hsts_is_sent_under_https(client):
    response = client.get("/.well-known/openid-configuration")

    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_no_hsts_over_plain_http(make_app):
    app = make_app(ISSUER="http://127.0.0.1:5000")

    response = app.test_client().get("/.well-known/openid-configuration")

    assert "Strict-Transport-Security" not in response.headers


def test_token_endpoint_allows_only_the_clients_registered_origin(app):
    spa = register_spa(app)
    http = app.test_client()
    done = LoginPage(http).sign_in("pat@example.com", **spa.authorize_params())
    code = query_of(done.headers["Location"])["code"]

    allowed = http.post(
        "/oauth/token",
        data=spa.code_body(code, client_id=spa.client_id),
        headers={"Origin": SPA_ORIGIN},
    )
    refused = http.post(
        "/oauth/token",
        data={"grant_type": "authorization_code", "code": "x", "client_id": spa.client_id},
        headers={"Origin": "https://evil.example"},
    )

    assert allowed.status_code == 200
    assert allowed.headers["Access-Control-Allow-Origin"] == SPA_ORIGIN
    assert "Origin" in allowed.headers["Vary"]
    assert "Access-Control-Allow-Origin" not in refused.headers
    token = allowed.get_json()["access_token"]
    info = http.get("/userinfo", headers={"Authorization": f"Bearer {token}", "Origin": SPA_ORIGIN})
    other = http.get(
        "/userinfo", headers={"Authorization": f"Bearer {token}", "Origin": "https://evil.example"}
    )
    assert info.headers["Access-Control-Allow-Origin"] == SPA_ORIGIN
    assert "Access-Control-Allow-Origin" not in other.headers


def test_an_origin_registered_by_another_client_is_not_allowed_for_this_one(app):
    register_spa(app)
    shop = RelyingApp.register(app)

    response = app.test_client().post(
        "/oauth/token",
        data={"grant_type": "authorization_code", "code": "x"},
        auth=(shop.client_id, shop.secret),
        headers={"Origin": SPA_ORIGIN},
    )

    assert "Access-Control-Allow-Origin" not in response.headers


def test_preflight_for_a_registered_origin_is_answered(app):
    register_spa(app)

    response = app.test_client().options(
        "/oauth/token",
        headers={"Origin": SPA_ORIGIN, "Access-Control-Request-Method": "POST"},
    )

    assert response.headers["Access-Control-Allow-Origin"] == SPA_ORIGIN
    assert "POST" in response.headers["Access-Control-Allow-Methods"]


def test_authorize_never_sends_cors_headers(app):
    spa = register_spa(app)

    response = app.test_client().get(
        "/authorize", query_string=spa.authorize_params(), headers={"Origin": SPA_ORIGIN}
    )

    assert response.status_code == 200
    assert not [h for h in response.headers.keys() if h.startswith("Access-Control-")]


def test_public_documents_stay_open_to_every_origin(client):
    for path in ("/.well-known/openid-configuration", "/.well-known/jwks.json"):
        response = client.get(path, headers={"Origin": "https://any.example"})
        assert response.headers["Access-Control-Allow-Origin"] == "*"
