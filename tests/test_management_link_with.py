"""POST /api/v2/users/{id}/identities with Auth0's `link_with`: the secondary user is
named by an ID token it got from signing in to one of Latchkey's apps, and merges into
the primary (app/accounts/linking.py's rules). Anything but an unexpired ID token this
server issued to a sign-in app is a 400 that changes nothing."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from auth0.management import ManagementClient
from auth0.management.core.api_error import ApiError
from cryptography.hazmat.primitives.asymmetric import rsa
from freezegun import freeze_time
from helpers import RelyingApp, signed_in_code
from joserfc import jwt
from joserfc.jwk import RSAKey
from management import add_user, bearer, management_client, token_for
from sqlalchemy import select
from tls import https_live_server

from app.extensions import db
from app.models import Event, User
from app.oidc import keys

PAT = "pat@example.com"
WORK = "pat@work.example"
PHONE = "+14155552671"


def id_token_of(app, email: str) -> str:
    """Sign in as `email` at a relying app through the hosted page; its ID token."""
    shop = RelyingApp.register(app)
    http = app.test_client()
    answer = shop.exchange(http, signed_in_code(http, shop, email))
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()["id_token"]


def sub_of(app, email: str) -> str:
    with app.app_context():
        found = db.session.scalars(select(User)).all()
        return next(u.sub for u in found if u.identity_for("email").value == email)


def link(app, primary: str, body) -> tuple[int, object]:
    http = app.test_client()
    client_id, secret = management_client(app, scopes=["update:users", "read:users"])
    answer = http.post(
        f"/api/v2/users/{primary}/identities",
        json=body,
        headers=bearer(token_for(http, client_id, secret)),
    )
    return answer.status_code, answer.get_json()


def users_left(app) -> set[str]:
    with app.app_context():
        return set(db.session.scalars(select(User.sub)))


def test_link_with_a_secondary_users_id_token_merges_it(app):
    primary = add_user(app, email=PAT)
    id_token = id_token_of(app, WORK)
    secondary = sub_of(app, WORK)

    status, identities = link(app, primary, {"link_with": id_token})

    assert status == 201
    assert sorted((i["provider"], i["user_id"]) for i in identities) == sorted(
        [("email", primary), ("email", secondary)]
    )
    assert users_left(app) == {primary}
    with app.app_context():
        merged = db.session.scalars(select(Event).filter_by(type="user.merged")).one()
        assert merged.detail["by"].startswith("m2m:")


def minted(app, claims: dict) -> str:
    """A JWT signed with this server's current key: the ID token claims, changed."""
    with app.app_context():
        key = keys.current()
        now = int(time.time())
        body = {
            "iss": app.config["ISSUER"],
            "sub": "x",
            "aud": "x",
            "iat": now,
            "exp": now + 600,
        } | claims
        header = {"alg": "RS256", "kid": key.kid}
        return jwt.encode(header, body, keys.private_jwk(key), algorithms=["RS256"])


def foreign(app, claims: dict) -> str:
    """The same claims signed with a key that is not this server's."""
    stranger = RSAKey.import_key(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    return jwt.encode({"alg": "RS256", "kid": "stranger"}, claims, stranger, algorithms=["RS256"])


@pytest.mark.parametrize(
    "making",
    [
        "both ways at once",
        "a management access token",
        "an m2m client's audience",
        "an unknown audience",
        "two audiences",
        "another issuer",
        "another key",
        "altered",
        "no expiry",
        "not a string",
        "empty",
        "too long",
    ],
)
def test_anything_but_an_id_token_of_this_server_is_a_400(app, making):
    primary = add_user(app, email=PAT)
    id_token = id_token_of(app, WORK)
    secondary = sub_of(app, WORK)
    shop = RelyingApp.register(app)
    m2m_id, secret = management_client(app)
    valid = {"iss": app.config["ISSUER"], "sub": secondary, "aud": shop.client_id}
    now = int(time.time())
    head, payload, signature = id_token.split(".")
    body = {
        "both ways at once": {"link_with": id_token, "provider": "email", "user_id": secondary},
        "a management access token": {"link_with": token_for(app.test_client(), m2m_id, secret)},
        "an m2m client's audience": {"link_with": minted(app, {**valid, "aud": m2m_id})},
        "an unknown audience": {"link_with": minted(app, {**valid, "aud": "nobody"})},
        "two audiences": {"link_with": minted(app, {**valid, "aud": [shop.client_id, m2m_id]})},
        "another issuer": {"link_with": minted(app, {**valid, "iss": "https://evil.example/"})},
        "another key": {"link_with": foreign(app, {**valid, "exp": now + 600})},
        "altered": {"link_with": f"{head}.{payload[:-4]}AAAA.{signature}"},
        "no expiry": {"link_with": minted(app, {**valid, "exp": None})},
        "not a string": {"link_with": 5},
        "empty": {"link_with": ""},
        "too long": {"link_with": id_token + "A" * 5000},
    }[making]

    status, error = link(app, primary, body)

    assert status == 400, error
    assert error["errorCode"] == "invalid_body" and error["statusCode"] == 400
    assert users_left(app) == {primary, secondary}


def test_an_expired_id_token_is_a_400(app):
    primary = add_user(app, email=PAT)
    id_token = id_token_of(app, WORK)
    later = datetime.now(UTC) + timedelta(seconds=app.config["ID_TOKEN_TTL"] + 60)

    with freeze_time(later):
        status, error = link(app, primary, {"link_with": id_token})

    assert status == 400 and "unexpired ID token" in error["message"]
    assert len(users_left(app)) == 2


def test_an_id_token_of_a_deleted_user_is_a_404_and_of_the_primary_a_400(app):
    primary_token = id_token_of(app, PAT)
    primary = sub_of(app, PAT)
    gone = id_token_of(app, WORK)
    with app.app_context():
        db.session.delete(db.session.scalars(select(User).filter_by(sub=sub_of(app, WORK))).one())
        db.session.commit()

    assert link(app, primary, {"link_with": gone})[0] == 404
    assert link(app, primary, {"link_with": primary_token})[0] == 400
    assert users_left(app) == {primary}


def test_the_sdk_links_with_an_id_token(live_server, tmp_path, monkeypatch):
    server = https_live_server(live_server, tmp_path, monkeypatch)
    primary = add_user(server.app, phone=PHONE)
    id_token = id_token_of(server.app, WORK)
    client_id, secret = management_client(server.app)
    api = ManagementClient(
        domain=server.url.removeprefix("https://"), client_id=client_id, client_secret=secret
    )

    linked = api.users.identities.link(primary, link_with=id_token)

    assert {i.provider for i in linked} == {"sms", "email"}
    assert api.users.get(primary).email == WORK
    with pytest.raises(ApiError) as refused:  # this call's SDK method maps no 404
        api.users.identities.link(primary, link_with=id_token)  # that user is gone now
    assert refused.value.status_code == 404
    assert refused.value.body["errorCode"] == "inexistent_user"
