"""Every flow, with every logger at DEBUG: no code, link token, authorization code,
access token, ID token or cookie appears in a log line or an audit event."""

from __future__ import annotations

import json
import logging
import secrets

from helpers import (
    LoginPage,
    RelyingApp,
    form_posting_to,
    messages_to,
    query_of,
    userinfo,
    wrong_code_for,
)
from sqlalchemy import select

from app.accounts.connections import update_connection
from app.extensions import db
from app.logs import redact
from app.models import Event

EMAIL = "pat@example.com"


def test_no_secret_reaches_the_logs_or_the_events(make_app, caplog):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="sqlalchemy")  # it sets itself to WARNING
    app = make_app(RATELIMIT_ENABLED=True, RECIPIENT_RATE_LIMIT="4 per hour")
    shop = RelyingApp.register(app, logout_urls=("https://app.example/bye",))
    blog = RelyingApp.register(app, callbacks=("https://blog.example/cb",), name="Blog")
    page = LoginPage(app.test_client())
    found: list[str] = []

    # Start, resend, a wrong code, the right one: an authorization code comes back.
    page.open_authorize(**shop.authorize_params())
    page.submit_email(EMAIL)
    page.open_code_page()
    page.resend()
    code = page.read_code(EMAIL)
    page.enter_code(wrong_code_for(code))
    done = page.enter_code(code)
    authorization_code = query_of(done.headers["Location"])["code"]
    found += [code, authorization_code]
    # Token exchange, userinfo (and a replayed code).
    tokens = shop.exchange(page.client, authorization_code).get_json()
    found += [tokens["access_token"], tokens["id_token"]]
    userinfo(page.client, tokens["access_token"])
    shop.exchange(page.client, authorization_code)
    # SSO on a second app, then an RP-initiated logout with the ID token as hint.
    sso = page.open_authorize(**blog.authorize_params())
    found.append(query_of(sso.headers["Location"])["code"])
    # Refresh tokens: issue, rotate, a replay that ends the family, a revocation.
    offline = page.open_authorize(**shop.authorize_params(scope="openid offline_access"))
    offline_code = query_of(offline.headers["Location"])["code"]
    first = shop.exchange(page.client, offline_code).get_json()
    auth = (shop.client_id, shop.secret)
    grant = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    second = page.client.post("/oauth/token", data=grant, auth=auth).get_json()
    page.client.post("/oauth/token", data=grant, auth=auth)
    page.client.post("/oauth/revoke", data={"token": second["refresh_token"]}, auth=auth)
    found += [offline_code, first["refresh_token"], second["refresh_token"]]
    found += [first["access_token"], second["access_token"]]
    for name in (
        app.config["SSO_COOKIE_NAME"],
        app.config["BINDING_COOKIE_NAME"],
        app.config["SESSION_COOKIE_NAME"],
    ):
        cookie = page.client.get_cookie(name)
        if cookie is not None:
            found.append(cookie.value)
    page.client.get(
        "/logout",
        query_string={
            "id_token_hint": tokens["id_token"],
            "post_logout_redirect_uri": "https://app.example/bye",
            "client_id": shop.client_id,
        },
    )
    # A magic link, opened and used in the browser that asked.
    with app.app_context():
        update_connection("email", send="link")
    linked = LoginPage(app.test_client())
    linked.open_authorize(**shop.authorize_params(nonce="link"))
    linked.follow(linked.submit_email("lee@example.com"))
    link = messages_to(app, "lee@example.com")[-1].link
    found.append(link.rsplit("/", 1)[-1])
    opened = linked.client.get(link[len(app.config["ISSUER"]) :])
    form = form_posting_to(opened.get_data(as_text=True), "/login/link/")
    by_link = linked.client.post(form.action, data=form.fields)
    found.append(query_of(by_link.headers["Location"])["code"])
    with app.app_context():
        update_connection("email", send="code")
    # Throttling: the per-recipient limit.
    for _ in range(4):
        other = LoginPage(app.test_client())
        other.open_authorize(**shop.authorize_params(nonce=secrets.token_urlsafe(6)))
        other.submit_email(EMAIL)
        if "/login/code/" in (other.code_url or ""):
            other.open_code_page()
            found.append(other.read_code(EMAIL))
    # A request carrying secrets in its query string, and a forged log line.
    page.client.get("/userinfo", query_string={"access_token": tokens["access_token"]})
    page.client.get("/authorize", query_string={"state": "x\r\nFAKE log line"})

    with app.app_context():
        events = db.session.scalars(select(Event)).all()
        stored = [json.dumps([e.type, e.recipient, e.ip, e.user_agent, e.detail]) for e in events]
    logged = [record.getMessage() for record in caplog.records]
    assert len(logged) > 20 and len(stored) > 10  # the flows ran and were recorded
    assert {
        "login.start",
        "login.success",
        "token.issued",
        "token.refresh_reused",
        "login.session",
        "logout",
    } <= {e.type for e in events}
    for secret in found:
        assert len(secret) >= 6
        for line in logged + stored:
            assert secret not in line, f"a secret leaked into: {line[:200]}"
    assert EMAIL not in " ".join(stored)  # recipients are masked


def test_cr_lf_in_logged_values_is_escaped():
    assert (
        redact("GET /authorize?state=a\r\nINFO forged") == "GET /authorize?state=a\\r\\nINFO forged"
    )
    assert redact("/cb?code=SECRET&state=1") == "/cb?code=[redacted]&state=1"
