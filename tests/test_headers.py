"""Security headers on every page, the binding cookie's flags, and oversized requests."""

from __future__ import annotations

import re

import pytest
from helpers import LoginPage, RelyingApp, visible_text, wrong_code_for

# The test config has an https issuer, so the binding cookie has the __Host- prefix.
BINDING = "__Host-latchkey_binding"

EMAIL = "pat@example.com"


@pytest.fixture
def shop(app) -> RelyingApp:
    return RelyingApp.register(app, callbacks=("https://app.example/cb",))


def csp_of(response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    directives = (part.strip() for part in policy.split(";") if part.strip())
    return {d.split(None, 1)[0]: (d.split(None, 1)[1:] or [""])[0] for d in directives}


def assert_page_headers(response) -> None:
    assert response.mimetype == "text/html"
    csp = csp_of(response)
    assert re.search(r"'nonce-[A-Za-z0-9_-]{16,}'", csp["script-src"]), csp
    assert csp["frame-ancestors"] == "'none'"
    assert "'unsafe-inline'" not in csp.get("script-src", "")
    assert csp.get("object-src") == "'none'"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response.headers["Cache-Control"]
    # any inline <script>/<style> carries this response's nonce
    nonce = re.search(r"'nonce-([^']+)'", csp["script-src"]).group(1)
    html = response.get_data(as_text=True)
    for tag in re.findall(r"<(?:script|style)\b[^>]*>", html):
        if "src=" not in tag:
            assert f'nonce="{nonce}"' in tag, tag


def pages(client, app, shop) -> dict[str, object]:
    """One of each kind of page a person can land on."""
    found: dict[str, object] = {}
    login = LoginPage(client)
    found["email page"] = login.open_authorize(**shop.authorize_params())
    found["email page with an error"] = login.submit_email("not-an-address")
    login.open_authorize(**shop.authorize_params())
    login.submit_email(EMAIL)
    found["code page"] = login.open_code_page()
    code = login.read_code(EMAIL)
    found["wrong code page"] = login.enter_code(wrong_code_for(code))
    login.enter_code(wrong_code_for(code))
    found["dead ticket page"] = login.enter_code(wrong_code_for(code))
    found["other browser page"] = app.test_client().get(login.code_url)
    found["unknown client page"] = client.get("/authorize?client_id=nope")
    found["bad redirect page"] = client.get(
        "/authorize", query_string=shop.authorize_params(redirect_uri="https://evil.example/")
    )
    found["not found page"] = client.get("/no/such/page")
    found["method not allowed page"] = client.delete("/authorize")
    found["csrf error page"] = client.post("/login/start", data={"email": EMAIL})
    found["logout page"] = client.get("/logout")
    return found


PAGE_NAMES = [
    "email page",
    "email page with an error",
    "code page",
    "wrong code page",
    "dead ticket page",
    "other browser page",
    "unknown client page",
    "bad redirect page",
    "not found page",
    "method not allowed page",
    "csrf error page",
    "logout page",
]


@pytest.mark.parametrize("name", PAGE_NAMES)
def test_every_page_sends_the_security_headers(client, app, shop, name):
    response = pages(client, app, shop)[name]

    assert_page_headers(response)


def test_csp_nonce_is_new_on_every_request(client, shop):
    first = client.get("/authorize", query_string=shop.authorize_params())
    second = client.get("/authorize", query_string=shop.authorize_params())

    assert csp_of(first)["script-src"] != csp_of(second)["script-src"]


@pytest.mark.parametrize(
    "path", ["/.well-known/openid-configuration", "/.well-known/jwks.json", "/userinfo"]
)
def test_json_endpoints_send_the_headers_too(client, path):
    response = client.get(path)

    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_token_and_userinfo_responses_are_not_cached(client):
    assert "no-store" in client.post("/oauth/token").headers["Cache-Control"]
    assert "no-store" in client.get("/userinfo").headers["Cache-Control"]


def test_binding_cookie_is_httponly_samesite_lax_and_secure(client, shop):
    login = LoginPage(client)
    login.open_authorize(**shop.authorize_params())

    response = login.submit_email(EMAIL)

    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith(BINDING + "=")]
    assert len(cookies) == 1
    flags = {part.strip().split("=", 1)[0].lower(): part for part in cookies[0].split(";")}
    assert "httponly" in flags
    assert "secure" in flags
    assert flags["samesite"].split("=", 1)[1].strip().lower() == "lax"
    assert flags["path"].split("=", 1)[1].strip() == "/"
    value = cookies[0].split(";", 1)[0].split("=", 1)[1]
    assert len(value) >= 32


def test_session_cookie_is_httponly(client, shop):
    response = client.get("/authorize", query_string=shop.authorize_params())

    cookies = response.headers.getlist("Set-Cookie")
    assert any(cookie.startswith("__Host-session=") for cookie in cookies)
    for cookie in cookies:
        assert "HttpOnly" in cookie
        assert cookie.startswith("__Host-") and "Secure" in cookie and "Domain" not in cookie


def test_second_sign_in_keeps_the_same_binding_cookie(client, shop):
    login = LoginPage(client)
    login.open_authorize(**shop.authorize_params())
    login.submit_email(EMAIL)
    first = client.get_cookie(BINDING).value

    login.open_authorize(**shop.authorize_params())
    login.submit_email("other@example.com")

    assert client.get_cookie(BINDING).value == first


# Oversized requests


def test_oversized_form_body_is_a_413_page(client, app, shop):
    login = LoginPage(client)
    login.open_authorize(**shop.authorize_params())
    limit = app.config["MAX_CONTENT_LENGTH"]

    response = login.submit_email("a" * (limit + 1) + "@example.com")

    assert response.status_code == 413
    assert_page_headers(response)
    assert "Too much data" in visible_text(response.get_data(as_text=True))
    assert "Location" not in response.headers


def test_oversized_token_request_is_a_413_json(client, app):
    body = "code=" + "a" * (app.config["MAX_CONTENT_LENGTH"] + 1)

    response = client.post(
        "/oauth/token", data=body, content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 413
    assert response.get_json()["error"] == "request_too_large"


def test_oversized_code_post_is_a_413_page(client, app, shop):
    login = LoginPage(client)
    login.open_authorize(**shop.authorize_params())
    login.submit_email(EMAIL)
    login.open_code_page()

    response = login.enter_code("1" * (app.config["MAX_CONTENT_LENGTH"] + 1))

    assert response.status_code == 413
    assert "Too much data" in visible_text(response.get_data(as_text=True))


def test_login_hint_is_escaped_on_the_email_page(client, shop):
    response = client.get(
        "/authorize",
        query_string=shop.authorize_params(login_hint='"><script>alert(1)</script>'),
    )

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html or "&#34;&gt;&lt;script" in html


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("multipart/form-data", b"no boundary"),
        ("multipart/form-data; boundary=zz", b"--zz\r\ngarbage"),
        ("application/x-www-form-urlencoded", b"%ff%fe=%00&email=%"),
        ("application/json", b'{"email": 1}'),
        ("text/plain", b"\xff" * 100),
    ],
)
@pytest.mark.parametrize(
    "path", ["/login/start", "/login/code/x", "/login/resend/x", "/oauth/token", "/logout"]
)
def test_garbled_bodies_get_a_clear_answer_not_a_500(client, path, content_type, body):
    response = client.post(path, data=body, content_type=content_type)

    assert 400 <= response.status_code < 500 or response.status_code == 200
    assert "Something went wrong" not in response.get_data(as_text=True)
    assert "server_error" not in response.get_data(as_text=True)
