"""Refresh tokens (scope offline_access) and POST /oauth/revoke (RFC 7009).

An app that signed someone in keeps them signed in with a refresh token; each use
hands out a new one, and a stolen token used twice ends every token of that sign-in.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from freezegun import freeze_time
from helpers import LoginPage, RelyingApp, query_of, signed_in_code, userinfo
from sqlalchemy import update
from test_tokens import assert_oauth_error, verified

from app.accounts import sessions, users
from app.extensions import db
from app.models import AccessToken, Event, RefreshToken

EMAIL = "pat@example.com"
PHONE = "+14155552671"
OFFLINE = "openid email offline_access"
DAY = 24 * 3600


@pytest.fixture
def shop(app) -> RelyingApp:
    return RelyingApp.register(app, callbacks=("https://app.example/cb",))


@pytest.fixture
def spa(app) -> RelyingApp:
    return RelyingApp.register(app, "spa", callbacks=("https://spa.example/cb",))


def tokens_for(client, relying_app: RelyingApp, scope: str = OFFLINE, **overrides: str) -> dict:
    code = signed_in_code(client, relying_app, EMAIL, scope=scope, **overrides)
    response = relying_app.exchange(client, code)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def refresh(client, relying_app: RelyingApp, refresh_token: str, **extra: str):
    """POST /oauth/token with grant_type=refresh_token, authenticating as the app does."""
    data = {"grant_type": "refresh_token", "refresh_token": refresh_token, **extra}
    if relying_app.secret:
        return client.post(
            "/oauth/token", data=data, auth=(relying_app.client_id, relying_app.secret)
        )
    return client.post("/oauth/token", data={**data, "client_id": relying_app.client_id})


def revoke(client, relying_app: RelyingApp, token: str, **extra: str):
    data = {"token": token, **extra}
    if relying_app.secret:
        return client.post(
            "/oauth/revoke", data=data, auth=(relying_app.client_id, relying_app.secret)
        )
    return client.post("/oauth/revoke", data={**data, "client_id": relying_app.client_id})


# Issuing


def test_offline_access_gives_a_refresh_token(client, shop):
    body = tokens_for(client, shop)

    assert body["refresh_token"]
    assert body["refresh_token"] != body["access_token"]
    assert set(body["scope"].split()) == {"openid", "email", "offline_access"}


def test_a_refresh_answers_with_a_new_id_token_for_the_same_person(client, spa):
    """OIDC Core §12.2, and auth0-spa-js refuses a refresh response without an ID token."""
    first = tokens_for(client, spa)
    original = verified(client, first["id_token"]).claims

    with freeze_time(timedelta(seconds=90)):
        body = refresh(client, spa, first["refresh_token"]).get_json()
    claims = verified(client, body["id_token"]).claims

    for same in ("iss", "sub", "aud", "email", "email_verified", "auth_time", "amr"):
        assert claims[same] == original[same], same
    assert original["amr"] == ["otp"]
    assert claims["iat"] >= original["iat"] + 90
    assert claims["auth_time"] <= original["iat"]  # the sign-in's time, not the refresh's
    assert "nonce" in original and "nonce" not in claims, sorted(claims)
    assert claims["at_hash"] and claims["at_hash"] != original["at_hash"]
    assert "azp" not in claims and "sid" not in claims and "acr" not in claims, sorted(claims)


def test_every_rotation_keeps_the_sign_ins_auth_time_and_amr(app, client):
    """An SMS sign-in (amr otp + sms), refreshed on three later days: each new ID token
    says when and how that one sign-in happened (OIDC Core §12.2)."""
    spa = RelyingApp.register(app, "spa", connections=("sms",))
    with freeze_time() as frozen:
        person = LoginPage(client)
        person.open_authorize(**spa.authorize_params(scope="openid phone offline_access"))
        person.submit_phone(PHONE)
        done = person.enter_code(person.read_code(PHONE))
        body = spa.exchange(client, query_of(done.headers["Location"])["code"]).get_json()
        original = verified(client, body["id_token"]).claims
        seen = []
        for _ in range(3):
            frozen.tick(DAY)
            body = refresh(client, spa, body["refresh_token"]).get_json()
            seen.append(verified(client, body["id_token"]).claims)

    assert original["amr"] == ["otp", "sms"]
    for claims in seen:
        assert (claims["auth_time"], claims["amr"]) == (original["auth_time"], original["amr"])
        assert claims["phone_number"] == PHONE and "nonce" not in claims
    assert [claims["iat"] - original["iat"] for claims in seen] == [DAY, 2 * DAY, 3 * DAY]


def test_a_family_from_before_auth_time_was_kept_refreshes_without_it(client, app, spa):
    """Refresh tokens issued before the upgrade have no stored sign-in: the refreshed ID
    token leaves auth_time and amr out rather than guess them."""
    first = tokens_for(client, spa)
    with app.app_context():
        db.session.execute(update(RefreshToken).values(auth_time=None, amr=None))
        db.session.commit()

    body = refresh(client, spa, first["refresh_token"]).get_json()

    claims = verified(client, body["id_token"]).claims
    assert claims["sub"] == verified(client, first["id_token"]).claims["sub"]
    assert "auth_time" not in claims and "amr" not in claims, sorted(claims)
    with app.app_context():  # and its rotated successor stays without them
        rotated = db.session.query(RefreshToken).filter(RefreshToken.used_at.is_(None)).one()
        assert (rotated.auth_time, rotated.amr) == (None, None)


def test_a_refresh_without_openid_has_no_id_token(client, spa):
    body = tokens_for(client, spa, scope="openid email offline_access")
    narrowed = refresh(client, spa, body["refresh_token"], scope="email offline_access")

    assert narrowed.status_code == 200, narrowed.get_json()
    assert "id_token" not in narrowed.get_json()


def test_without_offline_access_there_is_no_refresh_token(client, shop):
    body = tokens_for(client, shop, scope="openid email")

    assert "refresh_token" not in body
    assert body["access_token"]


def test_refresh_tokens_are_stored_hashed(client, app, shop):
    body = tokens_for(client, shop)

    with app.app_context():
        stored = [row.token_hash for row in db.session.query(RefreshToken)]
    assert len(stored) == 1
    assert body["refresh_token"] not in stored[0]


# Using: rotation


def test_refresh_gives_new_tokens_and_rotates_the_refresh_token(client, shop):
    first = tokens_for(client, shop)

    response = refresh(client, shop, first["refresh_token"])

    assert response.status_code == 200, response.get_json()
    assert response.headers["Cache-Control"] == "no-store"
    second = response.get_json()
    assert second["token_type"].lower() == "bearer"
    assert second["access_token"] != first["access_token"]
    assert second["refresh_token"] != first["refresh_token"]
    assert second["expires_in"] == 3600
    info = userinfo(client, second["access_token"])
    assert info.status_code == 200
    assert info.get_json()["email"] == EMAIL


def test_a_public_app_refreshes_without_a_secret(client, spa):
    first = tokens_for(client, spa)

    second = refresh(client, spa, first["refresh_token"])

    assert second.status_code == 200, second.get_json()
    assert refresh(client, spa, second.get_json()["refresh_token"]).status_code == 200


def test_a_narrower_scope_may_be_asked_but_never_a_wider_one(client, shop):
    first = tokens_for(client, shop)

    narrower = refresh(client, shop, first["refresh_token"], scope="openid")
    assert narrower.status_code == 200, narrower.get_json()
    assert "email" not in userinfo(client, narrower.get_json()["access_token"]).get_json()

    wider = refresh(client, shop, narrower.get_json()["refresh_token"], scope="openid phone")
    assert_oauth_error(wider, "invalid_scope")


def test_rotated_tokens_keep_the_original_grant(client, shop):
    first = tokens_for(client, shop)
    narrower = refresh(client, shop, first["refresh_token"], scope="openid").get_json()

    full_again = refresh(client, shop, narrower["refresh_token"])

    assert full_again.status_code == 200, full_again.get_json()
    assert userinfo(client, full_again.get_json()["access_token"]).get_json()["email"] == EMAIL


# Reuse detection


def test_a_reused_refresh_token_revokes_the_whole_family(client, app, shop):
    first = tokens_for(client, shop)
    second = refresh(client, shop, first["refresh_token"]).get_json()

    replay = refresh(client, shop, first["refresh_token"])  # the thief, or the app, again

    body = assert_oauth_error(replay, "invalid_grant")
    assert "already used" in body["error_description"]
    assert_oauth_error(refresh(client, shop, second["refresh_token"]), "invalid_grant")
    assert userinfo(client, second["access_token"]).status_code == 401
    assert userinfo(client, first["access_token"]).status_code == 401
    with app.app_context():
        assert db.session.query(Event).filter_by(type="token.refresh_reused").count() == 1


def test_reuse_ends_only_that_family(client, shop):
    mine = tokens_for(client, shop)
    other_sign_in = tokens_for(client, shop, prompt="login")
    refresh(client, shop, mine["refresh_token"])

    refresh(client, shop, mine["refresh_token"])

    assert refresh(client, shop, other_sign_in["refresh_token"]).status_code == 200


def test_a_replayed_code_revokes_the_refresh_token_it_issued(client, shop):
    code = signed_in_code(client, shop, EMAIL, scope=OFFLINE)
    body = shop.exchange(client, code).get_json()

    assert_oauth_error(shop.exchange(client, code), "invalid_grant")

    assert_oauth_error(refresh(client, shop, body["refresh_token"]), "invalid_grant")


def test_a_replayed_code_also_ends_access_tokens_its_refreshes_issued(client, shop):
    code = signed_in_code(client, shop, EMAIL, scope=OFFLINE)
    body = shop.exchange(client, code).get_json()
    rotated = refresh(client, shop, body["refresh_token"]).get_json()
    assert userinfo(client, rotated["access_token"]).status_code == 200

    assert_oauth_error(shop.exchange(client, code), "invalid_grant")

    assert userinfo(client, rotated["access_token"]).status_code == 401
    assert_oauth_error(refresh(client, shop, rotated["refresh_token"]), "invalid_grant")


def test_a_refresh_token_works_only_for_its_own_app(client, app, shop):
    other = RelyingApp.register(app, callbacks=("https://other.example/cb",))
    body = tokens_for(client, shop)

    stolen = refresh(client, other, body["refresh_token"])

    assert_oauth_error(stolen, "invalid_grant")
    assert refresh(client, shop, body["refresh_token"]).status_code == 200  # not burnt


@pytest.mark.parametrize("token", ["", "nope", "x" * 5000])
def test_unknown_refresh_tokens_are_invalid_grant(client, shop, token):
    response = refresh(client, shop, token)

    assert response.status_code == 400
    assert response.get_json()["error"] in ("invalid_grant", "invalid_request")
    assert response.get_json()["error_description"]


def test_refresh_needs_the_apps_authentication(client, shop):
    body = tokens_for(client, shop)

    response = client.post(
        "/oauth/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": body["refresh_token"],
            "client_id": shop.client_id,
        },
    )

    assert_oauth_error(response, "invalid_client")


# Lifetimes


def test_an_unused_refresh_token_expires_after_the_idle_time(make_app):
    app = make_app(REFRESH_TOKEN_IDLE=2 * DAY, REFRESH_TOKEN_ABSOLUTE=30 * DAY)
    client, shop = app.test_client(), RelyingApp.register(app)
    with freeze_time() as frozen:
        body = tokens_for(client, shop)
        frozen.tick(2 * DAY + 1)

        response = refresh(client, shop, body["refresh_token"])

    assert_oauth_error(response, "invalid_grant")


def test_use_keeps_it_alive_until_the_absolute_lifetime(make_app):
    app = make_app(REFRESH_TOKEN_IDLE=2 * DAY, REFRESH_TOKEN_ABSOLUTE=5 * DAY)
    client, shop = app.test_client(), RelyingApp.register(app)
    with freeze_time() as frozen:
        token = tokens_for(client, shop)["refresh_token"]
        for _ in range(4):  # day 1.5, 3, 4.5: each use within the idle time
            frozen.tick(int(1.5 * DAY))
            response = refresh(client, shop, token)
            if response.status_code != 200:
                break
            token = response.get_json()["refresh_token"]

    assert_oauth_error(response, "invalid_grant")  # day 6 is past the absolute 5 days


def test_lifetimes_come_from_the_environment(make_app, monkeypatch):
    monkeypatch.setenv("FLASK_REFRESH_TOKEN_IDLE", "600")
    monkeypatch.setenv("FLASK_REFRESH_TOKEN_ABSOLUTE", "7200")

    app = make_app()

    assert app.config["REFRESH_TOKEN_IDLE"] == 600
    assert app.config["REFRESH_TOKEN_ABSOLUTE"] == 7200


# Blocked users and signing out everywhere


def test_blocking_a_user_revokes_their_refresh_tokens(client, app, shop):
    body = tokens_for(client, shop)
    with app.app_context():
        users.set_blocked(users.find_by_identity("email", EMAIL), True)
        users.set_blocked(users.find_by_identity("email", EMAIL), False)  # unblocked again

    assert_oauth_error(refresh(client, shop, body["refresh_token"]), "invalid_grant")
    assert userinfo(client, body["access_token"]).status_code == 401


def test_signing_out_everywhere_revokes_refresh_tokens(client, app, shop):
    body = tokens_for(client, shop)
    with app.app_context():
        sessions.end_all_for(users.find_by_identity("email", EMAIL), reason="admin")
        db.session.commit()

    assert_oauth_error(refresh(client, shop, body["refresh_token"]), "invalid_grant")
    assert userinfo(client, body["access_token"]).status_code == 401


def test_the_users_sign_out_command_ends_every_token(client, app, shop):
    body = tokens_for(client, shop)

    result = app.test_cli_runner().invoke(args=["users", "sign-out", EMAIL])

    assert result.exit_code == 0, result.output
    assert "signed out everywhere" in result.output
    assert_oauth_error(refresh(client, shop, body["refresh_token"]), "invalid_grant")
    assert userinfo(client, body["access_token"]).status_code == 401
    again = app.test_cli_runner().invoke(args=["users", "sign-out", "nobody@example.com"])
    assert again.exit_code != 0


def test_accounts_code_does_not_import_oidc():
    """The side effect goes through a signal (DESIGN: no import from accounts to oidc)."""
    from pathlib import Path

    accounts = Path(__file__).parent.parent / "app" / "accounts"
    for path in accounts.glob("*.py"):
        for line in path.read_text().splitlines():
            if line.lstrip().startswith(("import ", "from ")):
                assert "oidc" not in line, (path, line)


# Revocation (RFC 7009)


def test_revoking_a_refresh_token_ends_its_family(client, shop):
    first = tokens_for(client, shop)
    second = refresh(client, shop, first["refresh_token"]).get_json()

    response = revoke(client, shop, second["refresh_token"], token_type_hint="refresh_token")

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert_oauth_error(refresh(client, shop, second["refresh_token"]), "invalid_grant")
    assert userinfo(client, second["access_token"]).status_code == 401


def test_revoking_an_access_token_ends_only_that_token(client, shop):
    body = tokens_for(client, shop)

    response = revoke(client, shop, body["access_token"], token_type_hint="access_token")

    assert response.status_code == 200
    assert userinfo(client, body["access_token"]).status_code == 401
    assert refresh(client, shop, body["refresh_token"]).status_code == 200


def test_a_wrong_hint_still_finds_the_token(client, shop):
    body = tokens_for(client, shop)

    assert (
        revoke(client, shop, body["access_token"], token_type_hint="refresh_token").status_code
        == 200
    )

    assert userinfo(client, body["access_token"]).status_code == 401


def test_a_public_app_revokes_with_its_client_id(client, spa):
    body = tokens_for(client, spa)

    assert revoke(client, spa, body["refresh_token"]).status_code == 200

    assert_oauth_error(refresh(client, spa, body["refresh_token"]), "invalid_grant")


def test_revoking_an_unknown_token_answers_200(client, shop):
    assert revoke(client, shop, "never-issued").status_code == 200


def test_an_app_cannot_revoke_another_apps_token(client, app, shop):
    other = RelyingApp.register(app, callbacks=("https://other.example/cb",))
    body = tokens_for(client, shop)

    response = revoke(client, other, body["refresh_token"])

    assert response.get_json()["error"]
    assert refresh(client, shop, body["refresh_token"]).status_code == 200


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({}, "invalid_request"),
        ({"token": "x", "token_type_hint": "id_token"}, "unsupported_token_type"),
    ],
)
def test_bad_revocation_requests_are_clear_json_errors(client, shop, data, error):
    response = client.post("/oauth/revoke", data=data, auth=(shop.client_id, shop.secret))

    assert_oauth_error(response, error)
    assert response.get_json()["error_description"]


def test_revocation_needs_the_apps_authentication(client, shop):
    body = tokens_for(client, shop)

    response = client.post("/oauth/revoke", data={"token": body["refresh_token"]})

    assert_oauth_error(response, "invalid_client")
    assert refresh(client, shop, body["refresh_token"]).status_code == 200


# Discovery


def test_discovery_lists_refresh_tokens_and_revocation(client):
    doc = client.get("/.well-known/openid-configuration").get_json()

    assert "refresh_token" in doc["grant_types_supported"]
    assert "offline_access" in doc["scopes_supported"]
    assert doc["revocation_endpoint"] == "https://latchkey.test/oauth/revoke"
    assert "none" in doc["revocation_endpoint_auth_methods_supported"]


def test_discovery_lists_every_claim_the_id_tokens_and_userinfo_carry(client, spa):
    """claims_supported names what the first and the refreshed ID token and /userinfo
    hold (at_hash, the access token's hash, is not a claim about the person: Auth0's
    list leaves it out too)."""
    first = tokens_for(client, spa, scope="openid email phone offline_access")
    refreshed = refresh(client, spa, first["refresh_token"]).get_json()
    issued = set(verified(client, first["id_token"]).claims)
    issued |= set(verified(client, refreshed["id_token"]).claims)
    issued |= set(userinfo(client, refreshed["access_token"]).get_json())

    supported = client.get("/.well-known/openid-configuration").get_json()["claims_supported"]

    assert {"auth_time", "amr", "nonce", "email", "identities"} <= issued
    assert issued - {"at_hash"} <= set(supported), sorted(issued - set(supported))


def test_refreshed_access_tokens_belong_to_the_family(client, app, shop):
    first = tokens_for(client, shop)
    refresh(client, shop, first["refresh_token"])

    with app.app_context():
        families = {row.refresh_family for row in db.session.query(AccessToken)}
        refresh_families = {row.family_id for row in db.session.query(RefreshToken)}
    assert len(families) == 1 and families == refresh_families
