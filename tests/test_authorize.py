"""/authorize: who may be sent where, and what a bad request looks like to the user."""

from __future__ import annotations

import pytest
from helpers import LoginPage, RelyingApp, query_of, visible_text

from app.extensions import db
from app.models import LoginTicket, OutboxMessage

CALLBACK = "https://app.example/cb"
ISSUER = "https://latchkey.test"


@pytest.fixture
def shop(app) -> RelyingApp:
    return RelyingApp.register(app, "regular", callbacks=(CALLBACK,))


@pytest.fixture
def spa(app) -> RelyingApp:
    return RelyingApp.register(app, "spa", callbacks=("https://spa.example/cb",))


@pytest.fixture
def native(app) -> RelyingApp:
    return RelyingApp.register(app, "native", callbacks=("http://127.0.0.1:8000/cb",))


def assert_error_page(response, *says: str) -> str:
    """A page that explains, and never a redirect anywhere."""
    assert response.status_code == 400, response.get_data(as_text=True)[:500]
    assert "Location" not in response.headers
    assert response.mimetype == "text/html"
    text = visible_text(response.get_data(as_text=True))
    for words in says:
        assert words in text
    return text


def assert_error_redirect(response, callback: str, error: str, state: str | None) -> dict:
    """An OAuth error sent back to the app's verified callback, with iss (RFC 9207)."""
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    location = response.headers["Location"]
    assert location.split("?", 1)[0] == callback
    query = query_of(location)
    assert query["error"] == error
    assert query["iss"] == ISSUER
    if state is not None:
        assert query["state"] == state
    assert "code" not in query
    return query


def nothing_stored(app) -> bool:
    with app.app_context():
        return (
            db.session.query(LoginTicket).count() == 0
            and db.session.query(OutboxMessage).count() == 0
        )


# Happy paths


def test_valid_request_shows_the_email_page(client, shop):
    response = client.get("/authorize", query_string=shop.authorize_params())

    assert response.status_code == 200
    assert "Location" not in response.headers
    page = response.get_data(as_text=True)
    assert 'name="email"' in page
    assert "Example App" in visible_text(page)


def test_regular_client_may_use_pkce_s256(client, shop):
    done = LoginPage(client).sign_in("pat@example.com", **shop.authorize_params())

    assert done.status_code == 302
    query = query_of(done.headers["Location"])
    assert done.headers["Location"].startswith(CALLBACK + "?")
    assert query["state"] == shop.state
    assert query["iss"] == ISSUER
    token = shop.exchange(client, query["code"])
    assert token.status_code == 200, token.get_json()


def test_regular_client_may_skip_pkce(client, shop):
    params = shop.authorize_params(code_challenge=None, code_challenge_method=None)

    done = LoginPage(client).sign_in("pat@example.com", **params)

    assert done.status_code == 302
    code = query_of(done.headers["Location"])["code"]
    assert shop.exchange(client, code, code_verifier=None).status_code == 200


# redirect_uri attacks: a page, never a redirect


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "https://app.example/cb/",  # trailing slash
        "https://app.example/cb?next=https://evil.example",  # extra query
        "https://app.example/cb?",  # empty query
        "https://app.example:8443/cb",  # other port
        "https://app.example:443/cb",  # explicit default port is still not the same string
        "https://evil.example/cb",  # other host
        "https://app.example.evil.example/cb",  # registered host as a subdomain
        "https://evil.example/app.example/cb",
        "https://app.example@evil.example/cb",  # userinfo: really goes to evil.example
        "https://app.example/cb@evil.example",
        "https://user:pass@app.example/cb",
        "https://app.example%40evil.example/cb",
        "https://evil.example\\@app.example/cb",
        "https://app.example/cb#",  # fragment
        "https://app.example/cb#https://evil.example",
        "https://APP.EXAMPLE/cb",  # case change of host
        "https://app.example/CB",  # case change of path
        "HTTPS://app.example/cb",  # case change of scheme
        "http://app.example/cb",  # http instead of https
        "https://app.example/cb/../cb",
        "https://app.example//cb",
        "https://app.example/cb%2F",
        " https://app.example/cb",
        "https://app.example/cb ",
        "https://app.example/cb\r\nSet-Cookie: x=y",
        'https://app.example/cb"><script>alert(1)</script>',
        "https://app.exämple/cb",  # non-ASCII look-alike
        "//app.example/cb",
        "/cb",
        "javascript:alert(1)//https://app.example/cb",
        "https://app.example/cb" + "/x" * 1500,  # oversized
    ],
)
def test_unregistered_redirect_uri_gets_a_page_not_a_redirect(client, app, shop, redirect_uri):
    response = client.get(
        "/authorize", query_string=shop.authorize_params(redirect_uri=redirect_uri)
    )

    assert_error_page(response, "redirect_uri")
    assert "evil.example" not in response.headers.get("Location", "")
    assert nothing_stored(app)


def test_missing_redirect_uri_gets_a_page(client, shop):
    response = client.get("/authorize", query_string=shop.authorize_params(redirect_uri=None))

    assert_error_page(response, "redirect_uri")


def test_empty_redirect_uri_gets_a_page(client, shop):
    response = client.get("/authorize", query_string=shop.authorize_params(redirect_uri=""))

    assert_error_page(response)


def test_another_apps_callback_is_refused(client, app, shop):
    other = RelyingApp.register(app, callbacks=("https://other.example/cb",))

    response = client.get(
        "/authorize", query_string=shop.authorize_params(redirect_uri=other.callback)
    )

    assert_error_page(response, "redirect_uri")


def test_bad_response_type_with_bad_redirect_uri_still_never_redirects(client, shop):
    params = shop.authorize_params(response_type="token", redirect_uri="https://evil.example/cb")

    response = client.get("/authorize", query_string=params)

    assert_error_page(response)


def test_prompt_none_with_bad_redirect_uri_never_redirects(client, shop):
    params = shop.authorize_params(prompt="none", redirect_uri="https://evil.example/cb")

    assert_error_page(client.get("/authorize", query_string=params))


# Unknown clients


@pytest.mark.parametrize(
    "client_id",
    [None, "", "no-such-client", "x" * 65, "x" * 5000, "' OR 1=1 --", "\x00", "%00"],
)
def test_unknown_client_gets_a_page_and_no_redirect(client, app, shop, client_id):
    response = client.get("/authorize", query_string=shop.authorize_params(client_id=client_id))

    assert_error_page(response, "not registered")
    assert nothing_stored(app)


# Errors the standard sends back to a verified callback


@pytest.mark.parametrize(
    "response_type",
    ["token", "id_token", "code token", "code id_token", 'to"ken', "token\\", "cöde"],
)
def test_unsupported_response_type_goes_back_to_the_app(client, shop, response_type):
    response = client.get(
        "/authorize", query_string=shop.authorize_params(response_type=response_type)
    )

    assert_error_redirect(response, CALLBACK, "unsupported_response_type", shop.state)


def test_missing_response_type_is_an_error(client, shop):
    response = client.get("/authorize", query_string=shop.authorize_params(response_type=None))

    assert response.status_code in (302, 400)
    if response.status_code == 302:
        assert response.headers["Location"].startswith(CALLBACK + "?")
        assert "error" in query_of(response.headers["Location"])
    else:
        assert_error_page(response)


@pytest.mark.parametrize("public", ["spa", "native"])
def test_public_clients_must_use_pkce(client, request, public):
    relying_app = request.getfixturevalue(public)
    params = relying_app.authorize_params(code_challenge=None, code_challenge_method=None)

    response = client.get("/authorize", query_string=params)

    query = assert_error_redirect(
        response, relying_app.callback, "invalid_request", relying_app.state
    )
    assert "PKCE" in query.get("error_description", "") or "code_challenge" in query.get(
        "error_description", ""
    )


@pytest.mark.parametrize("client_fixture", ["shop", "spa"])
def test_plain_pkce_is_refused(client, request, client_fixture):
    relying_app = request.getfixturevalue(client_fixture)
    params = relying_app.authorize_params(
        code_challenge=relying_app.verifier, code_challenge_method="plain"
    )

    response = client.get("/authorize", query_string=params)

    assert_error_redirect(response, relying_app.callback, "invalid_request", relying_app.state)


def test_challenge_without_method_is_refused_not_treated_as_plain(client, spa):
    params = spa.authorize_params(code_challenge=spa.verifier, code_challenge_method=None)

    response = client.get("/authorize", query_string=params)

    assert_error_redirect(response, spa.callback, "invalid_request", spa.state)


@pytest.mark.parametrize("challenge", ["short", "x" * 129, "!" * 43, "a b" * 20])
def test_malformed_code_challenge_is_refused(client, spa, challenge):
    response = client.get("/authorize", query_string=spa.authorize_params(code_challenge=challenge))

    assert_error_redirect(response, spa.callback, "invalid_request", spa.state)


def test_spa_with_s256_gets_the_email_page(client, spa):
    response = client.get("/authorize", query_string=spa.authorize_params())

    assert response.status_code == 200
    assert 'name="email"' in response.get_data(as_text=True)


def test_prompt_none_says_login_required(client, shop):
    response = client.get("/authorize", query_string=shop.authorize_params(prompt="none"))

    assert_error_redirect(response, CALLBACK, "login_required", shop.state)


# Native apps: loopback callbacks on any port (RFC 8252 §7.3)


@pytest.mark.parametrize("port", [8000, 1024, 49152, 65535])
def test_native_loopback_callback_may_use_any_port(client, native, port):
    callback = f"http://127.0.0.1:{port}/cb"
    params = native.authorize_params(redirect_uri=callback)

    page = LoginPage(client)
    assert page.open_authorize(**params).status_code == 200
    done = page.sign_in("nat@example.com", **params)

    assert done.status_code == 302
    assert done.headers["Location"].startswith(callback + "?")
    code = query_of(done.headers["Location"])["code"]
    token = native.exchange(client, code, redirect_uri=callback)
    assert token.status_code == 200, token.get_json()


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "http://127.0.0.1:8000/other",  # different path
        "http://127.0.0.1:9000/cb/",
        "http://localhost:8000/cb",  # a host name, not the loopback IP
        "http://localhost:9000/cb",
        "http://[::1]:9000/cb",  # a different loopback address than registered
        "http://127.0.0.2:8000/cb",
        "https://127.0.0.1:9000/cb",
        "http://127.0.0.1:9000/cb?x=1",
        "http://127.0.0.1:9000/cb#x",
        "http://user@127.0.0.1:9000/cb",
        "http://127.0.0.1@evil.example:9000/cb",
        "http://127.0.0.1:99999/cb",  # not a port
        "http://127.0.0.1:abc/cb",
        "http://127.0.0.1.evil.example:9000/cb",
        # One spelling only: the callback is compared, so no look-alikes.
        "HTTP://127.0.0.1:9000/cb",
        "Http://127.0.0.1:9000/cb",
        "http://127.0.0.1:09000/cb",
        "http://127.0.0.1:01234/cb",
        "http://127.0.0.1:0/cb",
        "http://127.0.0.1:00/cb",
        "http://127.0.0.1:9000/cb?",
        "http://127.0.0.1:/cb",
    ],
)
def test_native_loopback_refuses_other_hosts_and_paths(client, native, redirect_uri):
    response = client.get(
        "/authorize", query_string=native.authorize_params(redirect_uri=redirect_uri)
    )

    assert_error_page(response)


def test_loopback_port_freedom_is_only_for_native_apps(client, app):
    dev_app = RelyingApp.register(app, "regular", callbacks=("http://127.0.0.1:8000/cb",))

    response = client.get(
        "/authorize",
        query_string=dev_app.authorize_params(redirect_uri="http://127.0.0.1:9000/cb"),
    )

    assert_error_page(response, "redirect_uri")


# Oversized and garbled requests: a clear answer, never a 500


@pytest.mark.parametrize("name", ["state", "nonce"])
def test_oversized_parameter_is_a_clear_400(client, app, shop, name):
    """State and nonce come back to the app, which compares them: cutting them short
    silently would break its checks, so an oversized one is refused up front."""
    response = client.get("/authorize", query_string=shop.authorize_params(**{name: "a" * 5000}))

    assert response.status_code == 400, response.status_code
    assert "Location" not in response.headers or response.headers["Location"].startswith(
        CALLBACK + "?"
    )
    assert "Something went wrong" not in response.get_data(as_text=True)
    assert nothing_stored(app)


def test_state_is_returned_exactly_as_sent(client, shop):
    state = "s.-_~" + "Z" * 500 + "/?&=é"

    done = LoginPage(client).sign_in("pat@example.com", **shop.authorize_params(state=state))

    assert done.status_code == 302
    assert query_of(done.headers["Location"])["state"] == state


@pytest.mark.parametrize(
    "query_string",
    [
        "%ff%fe%00",
        "client_id=%ff&redirect_uri=%ff&response_type=%ff",
        "client_id=%&redirect_uri=%%%",
        "&&&===&&&",
        "a" * 20000,
        "=" * 5000,
        "client_id[]=1&redirect_uri[$ne]=x",
        "response_type=code&client_id=" + "%00" * 1000,
    ],
)
def test_garbled_query_strings_never_500(client, query_string):
    response = client.get("/authorize?" + query_string)

    assert response.status_code == 400, response.status_code
    assert "Location" not in response.headers
    assert "Something went wrong" not in response.get_data(as_text=True)


def test_garbled_query_string_with_real_client(client, shop):
    query = (
        f"response_type=code&client_id={shop.client_id}&redirect_uri={CALLBACK}"
        "&scope=%ff%fe&state=%00%ff&nonce=%&code_challenge=%ff"
    )

    response = client.get("/authorize?" + query)

    assert response.status_code in (302, 400), response.status_code
    if response.status_code == 302:
        assert response.headers["Location"].startswith(CALLBACK + "?")
    assert "Something went wrong" not in response.get_data(as_text=True)


@pytest.mark.parametrize("repeated", ["client_id", "redirect_uri", "response_type", "state"])
def test_repeated_parameters_are_refused(client, shop, repeated):
    params = list(shop.authorize_params().items())
    params.append((repeated, "https://evil.example/cb"))

    response = client.get("/authorize", query_string=params)

    assert response.status_code in (302, 400), response.status_code
    assert "evil.example" not in response.headers.get("Location", "")
    if response.status_code == 302:
        assert response.headers["Location"].startswith(CALLBACK + "?")
        assert "error" in query_of(response.headers["Location"])


def test_post_to_authorize_is_not_allowed(client, shop):
    response = client.post("/authorize", data=shop.authorize_params())

    assert response.status_code == 405
    assert "Location" not in response.headers
