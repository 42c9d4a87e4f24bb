"""The issuer exactly as the operator writes it, with or without a trailing slash (Auth0's
issuers end in "/"): `iss` everywhere says it to the letter, while every URL built from
it (endpoints, JWKS, links in messages) has exactly one slash before its path (OIDC
Discovery §4: a trailing "/" is dropped before appending a path)."""

from __future__ import annotations

import pytest
from helpers import LoginPage, RelyingApp, messages_to, query_of, userinfo
from joserfc import jwt
from joserfc.jwk import KeySet

from app.accounts.connections import update_connection

EMAIL = "noor@example.com"
ISSUERS = [
    ("https://latchkey.test", "https://latchkey.test"),
    ("https://latchkey.test/", "https://latchkey.test"),
    ("https://id.example/tenant/", "https://id.example/tenant"),
]


@pytest.fixture(params=ISSUERS, ids=["no-slash", "trailing-slash", "path-and-slash"])
def issued(request, make_app):
    """(app, issuer as written, base URL every endpoint starts with)."""
    written, base = request.param
    return make_app(ISSUER=written), written, base


def test_discovery_names_the_issuer_as_written_and_endpoints_under_its_base(issued):
    app, written, base = issued

    doc = app.test_client().get("/.well-known/openid-configuration").get_json()

    assert doc["issuer"] == written
    assert doc["authorization_endpoint"] == f"{base}/authorize"
    assert doc["token_endpoint"] == f"{base}/oauth/token"
    assert doc["userinfo_endpoint"] == f"{base}/userinfo"
    assert doc["jwks_uri"] == f"{base}/.well-known/jwks.json"
    assert doc["end_session_endpoint"] == f"{base}/logout"
    assert doc["revocation_endpoint"] == f"{base}/oauth/revoke"
    for key, value in doc.items():
        if key.endswith(("_endpoint", "_uri")):
            assert "//" not in value.split("://", 1)[1], (key, value)


def test_iss_in_the_callback_the_id_token_and_the_bearer_challenge_is_as_written(issued):
    app, written, _ = issued
    client = app.test_client()
    shop = RelyingApp.register(app)
    done = LoginPage(client).sign_in(EMAIL, **shop.authorize_params())
    answer = query_of(done.headers["Location"])
    assert answer["iss"] == written  # RFC 9207

    body = shop.exchange(client, answer["code"]).get_json()
    keys = KeySet.import_key_set(client.get("/.well-known/jwks.json").get_json())
    claims = jwt.decode(body["id_token"], keys, algorithms=["RS256"]).claims

    assert claims["iss"] == written
    refused = userinfo(client, "not-a-token")
    assert refused.headers["WWW-Authenticate"].startswith(f'Bearer realm="{written}"')


def test_links_in_messages_start_with_the_base_url(issued):
    app, _, base = issued
    with app.app_context():
        update_connection("email", send="link")
    shop = RelyingApp.register(app)
    page = LoginPage(app.test_client())
    page.open_authorize(**shop.authorize_params())
    page.submit_email(EMAIL)

    link = messages_to(app, EMAIL)[-1].link

    assert link.startswith(f"{base}/login/link/")
    opened = page.client.get(link[len(base) :])
    assert opened.status_code == 200
