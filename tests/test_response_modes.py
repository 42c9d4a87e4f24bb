"""response_mode=form_post and web_message at /authorize: the answer (code or error,
state, iss) as a page that posts it to the callback, or hands it to the window that
opened /authorize, only to the app's registered web origin."""

from __future__ import annotations

import json
import re
import secrets

import pytest
from helpers import LoginPage, RelyingApp, form_posting_to, query_of, read_forms, visible_text

from app.extensions import db
from app.models import AuthorizationCode
from app.oidc import PageAnswer
from app.web.response_pages import render_answer

EMAIL = "kim@example.com"
ISSUER = "https://latchkey.test"
SPA_ORIGIN = "https://spa.example"
SPA_CALLBACK = "https://spa.example/callback"
POST_MESSAGE = re.compile(r"postMessage\((\{.*?\}), (\"[^\"]*\")\);", re.S)


@pytest.fixture
def spa(app) -> RelyingApp:
    return RelyingApp.register(
        app, "spa", callbacks=(SPA_CALLBACK,), origins=(SPA_ORIGIN,), name="Planner"
    )


@pytest.fixture
def shop(app) -> RelyingApp:
    return RelyingApp.register(app, "regular", callbacks=("https://shop.example/cb?tenant=7",))


def fresh(relying_app: RelyingApp, **overrides: str) -> dict[str, str]:
    fresh_values = {"state": secrets.token_urlsafe(8), "nonce": secrets.token_urlsafe(8)}
    return relying_app.authorize_params(**{**fresh_values, **overrides})


def posted_message(response) -> tuple[dict, str]:
    """The message the web_message page posts, and the origin it posts to."""
    found = POST_MESSAGE.search(response.get_data(as_text=True))
    assert found, visible_text(response.get_data(as_text=True))
    return json.loads(found.group(1)), json.loads(found.group(2))


def csp(response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    return {part.split()[0]: part.strip() for part in policy.split(";") if part.strip()}


def codes_made(app) -> int:
    with app.app_context():
        return db.session.query(AuthorizationCode).count()


def signed_in_browser(app, spa: RelyingApp) -> LoginPage:
    """A browser with a Latchkey session (it signed in to the SPA once)."""
    page = LoginPage(app.test_client())
    done = page.sign_in(EMAIL, **fresh(spa))
    assert done.status_code == 302
    return page


# form_post


def test_form_post_posts_the_code_to_the_callback_and_the_code_works(app, shop):
    params = fresh(shop, response_mode="form_post")
    page = LoginPage(app.test_client())

    done = page.sign_in(EMAIL, **params)

    assert done.status_code == 200 and done.mimetype == "text/html"
    assert "Location" not in done.headers
    html = done.get_data(as_text=True)
    (form,) = read_forms(html)
    # The callback exactly as registered (its own query kept); the answer in the body.
    assert form.action == "https://shop.example/cb?tenant=7"
    assert form.method == "post"
    assert set(form.fields) == {"code", "state", "iss"}
    assert form.fields["state"] == params["state"] and form.fields["iss"] == ISSUER
    # Submitted at once by a nonce'd script (no inline script without the nonce).
    nonce = csp(done)["script-src"].split("'nonce-")[1].split("'")[0]
    assert f'<script nonce="{nonce}">document.getElementById("lk-form-post").submit();' in html
    assert "unsafe-inline" not in done.headers["Content-Security-Policy"]
    assert done.headers["Cache-Control"] == "no-store"
    assert "Example App" in visible_text(html)

    token = shop.exchange(page.client, form.fields["code"])
    assert token.status_code == 200, token.get_json()
    assert token.get_json()["id_token"]


def test_form_post_sends_errors_the_same_way(app, shop):
    params = fresh(shop, response_mode="form_post", prompt="none")

    answer = app.test_client().get("/authorize", query_string=params)

    assert answer.status_code == 200
    form = form_posting_to(answer.get_data(as_text=True), "https://shop.example/cb")
    assert form.fields["error"] == "login_required"
    assert form.fields["error_description"]
    assert form.fields["state"] == params["state"] and form.fields["iss"] == ISSUER
    assert "code" not in form.fields


def test_form_post_to_an_unregistered_callback_is_a_page_not_a_post(app, shop):
    params = fresh(shop, response_mode="form_post", redirect_uri="https://evil.example/cb")

    answer = app.test_client().get("/authorize", query_string=params)

    assert answer.status_code == 400
    assert read_forms(answer.get_data(as_text=True)) == []
    assert "evil.example" not in answer.get_data(as_text=True)


def test_form_post_fields_are_escaped(app, shop):
    state = '"><script>alert(1)</script>'
    params = fresh(shop, response_mode="form_post", prompt="none", state=state)

    answer = app.test_client().get("/authorize", query_string=params)

    html = answer.get_data(as_text=True)
    assert "<script>alert(1)" not in html
    assert form_posting_to(html, "https://shop.example/cb").fields["state"] == state


# web_message


def test_web_message_with_a_session_posts_the_code_to_the_apps_origin(app, spa):
    page = signed_in_browser(app, spa)
    params = fresh(spa, response_mode="web_message", prompt="none")

    answer = page.client.get("/authorize", query_string=params)

    assert answer.status_code == 200 and answer.mimetype == "text/html"
    message, target = posted_message(answer)
    assert target == SPA_ORIGIN
    assert message["type"] == "authorization_response"
    assert set(message["response"]) == {"code", "state", "iss"}
    assert message["response"]["state"] == params["state"]
    assert message["response"]["iss"] == ISSUER
    # Framed by that origin only (the hidden iframe of auth0-spa-js), by no other.
    assert csp(answer)["frame-ancestors"] == f"frame-ancestors {SPA_ORIGIN}"
    assert "X-Frame-Options" not in answer.headers
    assert answer.headers["Cache-Control"] == "no-store"

    token = spa.exchange(page.client, message["response"]["code"])
    assert token.status_code == 200, token.get_json()


def test_web_message_without_a_session_posts_login_required(app, spa):
    params = fresh(spa, response_mode="web_message", prompt="none")

    answer = app.test_client().get("/authorize", query_string=params)

    message, target = posted_message(answer)
    assert target == SPA_ORIGIN
    assert message["type"] == "authorization_response"
    assert message["response"]["error"] == "login_required"
    assert message["response"]["error_description"]
    assert message["response"]["state"] == params["state"]
    assert "code" not in message["response"]


def test_web_message_after_signing_in_in_a_popup_posts_to_the_opener(app, spa):
    params = fresh(spa, response_mode="web_message")

    done = LoginPage(app.test_client()).sign_in(EMAIL, **params)

    message, target = posted_message(done)
    assert target == SPA_ORIGIN
    assert message["response"]["code"] and message["response"]["state"] == params["state"]
    assert "window.opener || window.parent" in done.get_data(as_text=True)


@pytest.mark.parametrize(
    "origins",
    [
        (),  # no web origin at all
        ("https://other.example",),  # another origin than the callback's
        ("https://spa.example.attacker.test",),  # a name that only starts alike
        ("https://spa.example:8443",),  # or another port
    ],
)
def test_web_message_to_an_unregistered_origin_gets_nothing(app, origins):
    spa = RelyingApp.register(app, "spa", callbacks=(SPA_CALLBACK,), origins=origins)
    page = signed_in_browser(app, spa)
    made = codes_made(app)

    answer = page.client.get(
        "/authorize", query_string=fresh(spa, response_mode="web_message", prompt="none")
    )

    assert answer.status_code == 400
    html = answer.get_data(as_text=True)
    assert "postMessage" not in html and "Location" not in answer.headers
    assert "web origins" in visible_text(html)
    assert csp(answer)["frame-ancestors"] == "frame-ancestors 'none'"
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert codes_made(app) == made  # no code was made for it


def test_an_origin_registered_by_another_app_does_not_count(app, spa):
    other = RelyingApp.register(app, "spa", callbacks=("https://other.example/cb",))

    answer = app.test_client().get(
        "/authorize",
        query_string=fresh(
            other, response_mode="web_message", prompt="none", redirect_uri=SPA_CALLBACK
        ),
    )

    assert answer.status_code == 400
    assert "postMessage" not in answer.get_data(as_text=True)


def test_the_page_without_a_registered_origin_posts_nothing(app, spa):
    """The page's own rule, should a code ever reach it for an unregistered origin."""
    with app.test_request_context("/authorize"):
        answer = PageAnswer(
            mode="web_message",
            redirect_uri=SPA_CALLBACK,
            params=[("code", "c0de"), ("state", "s")],
            target_origin=None,
            client=None,
        )
        html = render_answer(answer).get_data(as_text=True)

    assert "postMessage" not in html and "c0de" not in html
    assert "web origin" in visible_text(html)


def test_query_stays_the_default(app, spa):
    page = signed_in_browser(app, spa)

    answer = page.client.get("/authorize", query_string=fresh(spa, prompt="none"))

    assert answer.status_code == 302
    assert query_of(answer.headers["Location"])["code"]


def test_discovery_lists_the_response_modes(client):
    modes = client.get("/.well-known/openid-configuration").get_json()["response_modes_supported"]

    assert modes == ["query", "form_post", "web_message"]
