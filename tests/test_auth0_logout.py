"""Auth0's GET /v2/logout?client_id=…&returnTo=…[&federated]: ends the browser's session,
then goes back only to one of that app's registered logout URLs, matched exactly; any
other returnTo gets a page that explains, and nothing is ended."""

from __future__ import annotations

import secrets
from urllib.parse import urlencode

import pytest
from helpers import LoginPage, RelyingApp, visible_text

EMAIL = "lee@example.com"
COOKIE = "__Host-latchkey_sso"
BYE = "https://spa.example/"
OTHER_BYE = "https://other.example/bye"


@pytest.fixture
def spa(app) -> RelyingApp:
    return RelyingApp.register(
        app,
        "spa",
        callbacks=("https://spa.example/cb",),
        logout_urls=(BYE, "https://spa.example/bye?from=latchkey"),
        origins=("https://spa.example",),
    )


@pytest.fixture
def browser(app, spa) -> LoginPage:
    """A browser signed in to the SPA (a Latchkey session)."""
    page = LoginPage(app.test_client())
    done = page.sign_in(EMAIL, **spa.authorize_params())
    assert done.status_code == 302
    return page


def still_signed_in(app, spa: RelyingApp, cookie: str) -> bool:
    """Whether the session behind `cookie` still answers a silent authorize request."""
    other = app.test_client()
    other.set_cookie(COOKIE, cookie)
    params = spa.authorize_params(prompt="none", nonce=secrets.token_urlsafe(8))
    answer = other.get("/authorize", query_string=params)
    assert answer.status_code == 302
    return "code=" in answer.headers["Location"]


def cookie_cleared(response) -> bool:
    cookies = response.headers.getlist("Set-Cookie")
    return any(h.startswith(COOKIE + "=;") or "Max-Age=0" in h for h in cookies)


@pytest.mark.parametrize("return_to", [BYE, "https://spa.example/bye?from=latchkey"])
@pytest.mark.parametrize("federated", [False, True])
def test_logout_ends_the_session_and_returns_to_a_registered_url(
    app, spa, browser, return_to, federated
):
    cookie = browser.client.get_cookie(COOKIE).value
    query = urlencode({"client_id": spa.client_id, "returnTo": return_to})
    if federated:
        query += "&federated"  # as auth0-spa-js sends it: a bare name

    out = browser.client.get(f"/v2/logout?{query}")

    assert out.status_code == 302
    assert out.headers["Location"] == return_to
    assert cookie_cleared(out)
    assert not still_signed_in(app, spa, cookie)


def test_logout_without_return_to_shows_signed_out(app, spa, browser):
    cookie = browser.client.get_cookie(COOKIE).value

    out = browser.client.get("/v2/logout", query_string={"client_id": spa.client_id})

    assert out.status_code == 200 and "Location" not in out.headers
    text = visible_text(out.get_data(as_text=True))
    assert "You are signed out" in text
    assert "Error" not in text  # the page once said "Error 200"
    assert cookie_cleared(out)
    assert not still_signed_in(app, spa, cookie)


def test_logout_with_no_parameters_signs_out_here(app, spa, browser):
    cookie = browser.client.get_cookie(COOKIE).value

    out = browser.client.get("/v2/logout")

    assert out.status_code == 200
    assert "You are signed out" in visible_text(out.get_data(as_text=True))
    assert not still_signed_in(app, spa, cookie)


@pytest.mark.parametrize(
    "return_to",
    [
        "https://evil.example/",
        "https://spa.example.evil.example/",
        "https://spa.example",  # registered with its slash only
        "https://spa.example//evil.example",
        "https://spa.example/?next=https://evil.example",
        "https://spa.example/#evil",
        "https://SPA.example/",
        "http://spa.example/",
        "//evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
        "https://spa.example/bye?from=latchkey&x=1",
        OTHER_BYE,  # another app's logout URL
        BYE + "x" * 3000,
        "https://spa.example/\x00",
    ],
)
def test_an_unregistered_return_to_is_refused_and_nothing_ends(app, spa, browser, return_to):
    RelyingApp.register(app, callbacks=("https://other.example/cb",), logout_urls=(OTHER_BYE,))
    cookie = browser.client.get_cookie(COOKIE).value

    out = browser.client.get(
        "/v2/logout", query_string={"client_id": spa.client_id, "returnTo": return_to}
    )

    assert out.status_code == 400 and "Location" not in out.headers
    text = visible_text(out.get_data(as_text=True))
    assert "has not registered" in text and "returnTo" in text
    assert "evil" not in out.get_data(as_text=True)
    assert not cookie_cleared(out)
    assert still_signed_in(app, spa, cookie)


def test_a_return_to_without_client_id_is_refused(app, spa, browser):
    cookie = browser.client.get_cookie(COOKIE).value

    out = browser.client.get("/v2/logout", query_string={"returnTo": BYE})

    assert out.status_code == 400 and "Location" not in out.headers
    assert "client_id" in visible_text(out.get_data(as_text=True))
    assert still_signed_in(app, spa, cookie)


@pytest.mark.parametrize("client_id", ["nope", "x" * 5000, "\x00", "a b"])
def test_an_unknown_client_is_refused(app, spa, browser, client_id):
    out = browser.client.get("/v2/logout", query_string={"client_id": client_id, "returnTo": BYE})

    assert out.status_code == 400 and "Location" not in out.headers
    assert "not registered" in visible_text(out.get_data(as_text=True))


def test_a_json_client_gets_a_json_error(app, spa):
    out = app.test_client().get(
        "/v2/logout",
        query_string={"client_id": spa.client_id, "returnTo": "https://evil.example/"},
        headers={"Accept": "application/json"},
    )

    assert out.status_code == 400
    assert out.get_json()["error"] == "invalid_request"


def test_logout_is_get_only(app, spa):
    out = app.test_client().post("/v2/logout", data={"client_id": spa.client_id})

    assert out.status_code == 405
