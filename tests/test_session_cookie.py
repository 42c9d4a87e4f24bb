"""Flask's signed session cookie (app/web/session_cookie.py): read and written as Flask
does, with the serializer kept between requests while the keys stay the same."""

from __future__ import annotations

from helpers import RelyingApp


def test_a_request_that_leaves_the_session_alone_gets_no_cookie(client):
    response = client.get("/healthz")

    assert "Set-Cookie" not in response.headers
    assert "Cookie" not in response.headers.get("Vary", "")


def test_a_page_with_a_form_sets_the_session_cookie_and_reads_it_back(app, client):
    shop = RelyingApp.register(app)
    first = client.get("/authorize", query_string=shop.authorize_params())
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])

    with client.session_transaction() as session:
        assert session.get("csrf_token")
    assert first.status_code == 200 and cookie is not None
    assert "Cookie" in first.headers["Vary"]


def test_a_session_signed_before_a_key_rotation_is_read_only_with_the_old_key_kept(app, client):
    with client.session_transaction() as session:
        session["kept"] = "yes"
    old = app.config["SECRET_KEY"]

    app.config.update(SECRET_KEY="a-new-secret-key-for-this-test", SECRET_KEY_FALLBACKS=[old])
    with client.session_transaction() as session:
        after_rotation = dict(session)
    app.config["SECRET_KEY_FALLBACKS"] = []
    with client.session_transaction() as session:
        after_dropping_the_old_key = dict(session)

    assert after_rotation == {"kept": "yes"}
    assert after_dropping_the_old_key == {}


def test_a_tampered_session_cookie_is_an_empty_session(app, client):
    with client.session_transaction() as session:
        session["kept"] = "yes"
    name = app.config["SESSION_COOKIE_NAME"]
    client.set_cookie(name, client.get_cookie(name).value[:-2] + "xx")

    with client.session_transaction() as session:
        assert dict(session) == {}
