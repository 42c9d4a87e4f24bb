"""The Management API with client-credentials tokens: each scope allows exactly its
operations; no token is 401, a wrong scope 403; errors in Auth0's shape; every change
an audit event naming the m2m client."""

from __future__ import annotations

import pytest
from management import AUDIENCE, add_user, bearer, management_client, token_for

from app.accounts import events
from app.accounts.clients import create_client
from app.extensions import db
from app.models import MANAGEMENT_SCOPES, Event, User

EMAIL = "ada@example.com"
PHONE = "+14155552671"


@pytest.fixture
def world(app):
    """One user, one relying app; returns what the endpoints' paths name."""
    sub = add_user(app, email=EMAIL, phone=PHONE)
    with app.app_context():
        app_client, _ = create_client("Shop", ["https://shop.example/cb"])
        user = db.session.query(User).one()
        events.record("login.success", user_id=user.id)
        db.session.commit()
        sms_id = user.identity_for("sms").subject
        return {"sub": sub, "client_id": app_client.client_id, "sms_id": sms_id}


# (method, path, the scope it needs, JSON body)
ENDPOINTS = [
    ("GET", "/api/v2/users", "read:users", None),
    ("GET", f'/api/v2/users?q=email:"{EMAIL}"&search_engine=v3', "read:users", None),
    ("GET", f"/api/v2/users-by-email?email={EMAIL}", "read:users", None),
    ("GET", "/api/v2/users/{sub}", "read:users", None),
    ("PATCH", "/api/v2/users/{sub}", "update:users", {"blocked": False}),
    ("GET", "/api/v2/clients", "read:clients", None),
    ("GET", "/api/v2/clients/{client_id}", "read:clients", None),
    ("PATCH", "/api/v2/clients/{client_id}", "update:clients", {"name": "Shop 2"}),
    ("GET", "/api/v2/connections", "read:connections", None),
    ("GET", "/api/v2/connections/con_email", "read:connections", None),
    ("PATCH", "/api/v2/connections/con_sms", "update:connections", {"options": {}}),
    ("GET", "/api/v2/logs", "read:logs", None),
    ("POST", "/api/v2/users/{sub}/identities", "update:users", {"provider": "email"}),
    ("DELETE", "/api/v2/users/{sub}/identities/sms/{sms_id}", "update:users", None),
    ("DELETE", "/api/v2/users/{sub}", "delete:users", None),  # last: the user goes
]
# What each allowed call answers (the link's body names no secondary user: 400).
ALLOWED_STATUS = {"POST": 400, "DELETE": 204}


def call(http, method, path, world, token=None, body=None):
    headers = bearer(token) if token else {}
    return http.open(path.format(**world), method=method, headers=headers, json=body)


@pytest.mark.parametrize("scope", MANAGEMENT_SCOPES)
def test_each_scope_allows_exactly_its_operations(app, client, world, scope):
    client_id, secret = management_client(app, scopes=[scope])
    token = token_for(client, client_id, secret)
    for method, path, needed, body in ENDPOINTS:
        answer = call(client, method, path, world, token, body)
        if needed == scope:
            expected = 200 if path.endswith("identities/sms/{sms_id}") else None
            expected = expected or ALLOWED_STATUS.get(method, 200)
            assert answer.status_code == expected, (method, path, answer.get_json())
        else:
            assert answer.status_code == 403, (method, path, answer.get_json())
            assert answer.get_json() == {
                "statusCode": 403,
                "error": "Forbidden",
                "message": f"Insufficient scope, expected any of: {needed}",
                "errorCode": "insufficient_scope",
            }


def test_every_endpoint_is_in_the_table(app):
    served = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v2/")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    tabled = {(m, p.split("?")[0].replace("{sub}", "<user_id>")) for m, p, _, _ in ENDPOINTS}
    tabled = {
        (m, p.replace("{client_id}", "<client_id>").replace("con_email", "<connection_id>"))
        for m, p in tabled
    }
    tabled = {(m, p.replace("con_sms", "<connection_id>")) for m, p in tabled}
    tabled = {(m, p.replace("sms/{sms_id}", "<provider>/<identity_id>")) for m, p in tabled}
    assert served == tabled, served ^ tabled


@pytest.mark.parametrize("method,path,needed,body", ENDPOINTS)
def test_without_a_token_401(client, world, method, path, needed, body):
    answer = call(client, method, path, world, None, body)
    assert answer.status_code == 401
    assert answer.get_json()["message"] == "Missing authentication"
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header",
    ["Bearer nonsense", "Basic Zm9vOmJhcg==", "Bearer " + "x" * 5000, "Bearer"],
)
def test_a_bad_token_is_401(client, world, header):
    answer = client.get("/api/v2/users", headers={"Authorization": header})
    assert answer.status_code == 401
    assert answer.get_json()["errorCode"] == "invalid_token"


def signed(app, claims: dict, key=None) -> str:
    from joserfc import jwt

    from app.oidc import keys

    with app.app_context():
        current = keys.current()
        header = {"alg": "RS256", "kid": current.kid}
        return jwt.encode(header, claims, key or keys.private_jwk(current))


def test_only_a_token_for_the_management_api_from_its_keys_passes(app, client, world):
    """ID tokens are signed with the same keys: their audience keeps them out."""
    from joserfc.jwk import RSAKey

    client_id, _ = management_client(app)
    good = {
        "iss": "https://latchkey.test",
        "aud": AUDIENCE,
        "azp": client_id,
        "exp": 2**31,
        "scope": "read:logs",
        "gty": "client-credentials",
    }
    assert client.get("/api/v2/logs", headers=bearer(signed(app, good))).status_code == 200
    for bad in (
        good | {"aud": client_id},
        good | {"iss": "https://elsewhere.test"},
        good | {"gty": "password"},
        {k: v for k, v in good.items() if k != "azp"},
        good | {"azp": "unknown-client"},
    ):
        assert client.get("/api/v2/logs", headers=bearer(signed(app, bad))).status_code == 401
    stranger = RSAKey.generate_key(2048, private=True)
    forged = signed(app, good, stranger)
    assert client.get("/api/v2/logs", headers=bearer(forged)).status_code == 401


def test_a_token_ends_with_its_client_and_its_scopes(app, client, world):
    client_id, secret = management_client(app)
    token = token_for(client, client_id, secret)
    assert client.get("/api/v2/users", headers=bearer(token)).status_code == 200
    with app.app_context():
        from app.accounts.clients import find_client

        row = find_client(client_id)
        row.scopes = ["read:logs"]
        db.session.commit()
    assert client.get("/api/v2/users", headers=bearer(token)).status_code == 403
    assert client.get("/api/v2/logs", headers=bearer(token)).status_code == 200
    with app.app_context():
        db.session.delete(find_client(client_id))
        db.session.commit()
    assert client.get("/api/v2/logs", headers=bearer(token)).status_code == 401


def test_an_expired_token_is_401(app, client, world):
    from freezegun import freeze_time

    client_id, secret = management_client(app)
    with freeze_time("2026-01-01 00:00:00"):
        token = token_for(client, client_id, secret)
    with freeze_time("2026-01-01 00:10:06"):
        assert client.get("/api/v2/logs", headers=bearer(token)).status_code == 401
    with freeze_time("2026-01-01 00:09:50"):
        assert client.get("/api/v2/logs", headers=bearer(token)).status_code == 200


# The token endpoint


def test_the_token_is_a_short_lived_jwt_with_scope_and_audience(app, client):
    from joserfc import jwt

    from app.oidc import keys

    client_id, secret = management_client(app, scopes=["read:users", "read:logs"])
    answer = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "audience": AUDIENCE},
        auth=(client_id, secret),
    )
    body = answer.get_json()
    assert answer.status_code == 200 and body["token_type"] == "Bearer"
    assert body["expires_in"] == 600 and body["scope"] == "read:users read:logs"
    assert "refresh_token" not in body and "id_token" not in body
    with app.app_context():
        claims = jwt.decode(body["access_token"], keys.key_set()).claims
    assert claims["aud"] == AUDIENCE and claims["iss"] == "https://latchkey.test"
    assert claims["sub"] == f"{client_id}@clients" and claims["scope"] == "read:users read:logs"
    assert claims["exp"] - claims["iat"] == 600


def test_asking_for_fewer_scopes_gets_fewer(app, client):
    client_id, secret = management_client(app, scopes=["read:users", "read:logs"])
    token = token_for(client, client_id, secret, scope="read:logs update:users")
    assert client.get("/api/v2/users", headers=bearer(token)).status_code == 403
    assert client.get("/api/v2/logs", headers=bearer(token)).status_code == 200


@pytest.mark.parametrize(
    "change,status,error",
    [
        ({"audience": "https://latchkey.test/"}, 403, "access_denied"),
        ({"audience": None}, 400, "invalid_request"),
        ({"client_secret": "wrong"}, 401, "invalid_client"),
        ({"scope": "read:clients"}, 403, "access_denied"),
    ],
)
def test_the_token_endpoint_refuses(app, client, change, status, error):
    client_id, secret = management_client(app, scopes=["read:users"])
    data = {
        "grant_type": "client_credentials",
        "client_id": client_id,
        "client_secret": secret,
        "audience": AUDIENCE,
    }
    data = {k: v for k, v in (data | change).items() if v is not None}
    answer = client.post("/oauth/token", data=data)
    assert answer.status_code == status and answer.get_json()["error"] == error


def test_only_management_clients_use_client_credentials(app, client):
    with app.app_context():
        regular, secret = create_client("Shop", ["https://shop.example/cb"])
        client_id = regular.client_id
    answer = client.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": secret,
            "audience": AUDIENCE,
        },
    )
    assert answer.status_code == 400 and answer.get_json()["error"] == "unauthorized_client"


def test_a_management_client_signs_nobody_in(app, client):
    client_id, secret = management_client(app)
    started = client.post(
        "/passwordless/start",
        json={"client_id": client_id, "client_secret": secret, "connection": "email"}
        | {"email": EMAIL, "send": "code"},
    )
    assert started.status_code == 401
    page = client.get(
        "/authorize",
        query_string={"client_id": client_id, "response_type": "code", "scope": "openid"}
        | {"redirect_uri": "https://x.example/cb"},
    )
    assert page.status_code == 400


# Users


def test_search_by_email_and_phone_with_pages_and_totals(app, client, world):
    for n in range(3):
        add_user(app, email=f"user{n}@example.com")
    client_id, secret = management_client(app)
    headers = bearer(token_for(client, client_id, secret))
    found = client.get(
        "/api/v2/users", query_string={"q": 'email:"ADA@example.com"'}, headers=headers
    ).get_json()
    assert [u["user_id"] for u in found] == [world["sub"]]
    assert found[0]["email"] == EMAIL and found[0]["phone_number"] == PHONE
    assert found[0]["email_verified"] is True and found[0]["blocked"] is False
    assert {i["provider"] for i in found[0]["identities"]} == {"email", "sms"}
    for spelled in (PHONE, "+1 (415) 555-2671", "+1.415.555.2671"):
        by_phone = client.get(
            "/api/v2/users", query_string={"q": f'phone_number:"{spelled}"'}, headers=headers
        ).get_json()
        assert [u["user_id"] for u in by_phone] == [world["sub"]], spelled
    no_one = client.get(
        "/api/v2/users", query_string={"q": 'phone_number:"4155552671"'}, headers=headers
    )
    assert no_one.get_json() == []  # without its country code a number is no one's
    page = client.get(
        "/api/v2/users?page=1&per_page=2&include_totals=true", headers=headers
    ).get_json()
    assert page["total"] == 4 and page["start"] == 2 and page["limit"] == 2
    assert [u["email"] for u in page["users"]] == ["user1@example.com", "user2@example.com"]
    assert (
        client.get(f"/api/v2/users-by-email?email={EMAIL}", headers=headers).get_json()[0][
            "user_id"
        ]
        == world["sub"]
    )


@pytest.mark.parametrize(
    "query",
    [
        "q=name:bob",
        'q=email:"a" OR email:"b"',
        "page=-1",
        "per_page=0",
        "per_page=101",
        "page=x",
        "include_totals=yes",
        "search_engine=v1",
        "page=20&per_page=50",
    ],
)
def test_bad_queries_are_400_in_auth0s_shape(app, client, world, query):
    client_id, secret = management_client(app)
    answer = client.get(
        f"/api/v2/users?{query}", headers=bearer(token_for(client, client_id, secret))
    )
    assert answer.status_code == 400
    assert answer.get_json()["errorCode"] == "invalid_query_string"
    assert answer.get_json()["statusCode"] == 400 and answer.get_json()["error"] == "Bad Request"


def test_an_unknown_user_is_404(app, client, world):
    client_id, secret = management_client(app)
    headers = bearer(token_for(client, client_id, secret))
    answer = client.get("/api/v2/users/nobody", headers=headers)
    assert answer.status_code == 404 and answer.get_json()["errorCode"] == "inexistent_user"
    assert client.get("/api/v2/nothing", headers=headers).get_json()["statusCode"] == 404


def test_block_then_unblock_is_audited_with_the_m2m_client(app, client, world):
    client_id, secret = management_client(app)
    headers = bearer(token_for(client, client_id, secret))
    path = f"/api/v2/users/{world['sub']}"
    assert client.patch(path, json={"blocked": True}, headers=headers).get_json()["blocked"]
    with app.app_context():
        assert db.session.query(User).one().blocked
        event = db.session.query(Event).filter_by(type="admin.user_blocked").one()
        assert event.detail["by"] == f"m2m:{client_id}"
    assert (
        client.patch(path, json={"blocked": False}, headers=headers).get_json()["blocked"] is False
    )
    with app.app_context():
        assert not db.session.query(User).one().blocked
        assert db.session.query(Event).filter_by(type="admin.user_unblocked").count() == 1


@pytest.mark.parametrize(
    "body", [{"blocked": "yes"}, {"email": "x@example.com"}, [], "blocked", None, {"blocked": 1}]
)
def test_a_bad_patch_is_400_and_changes_nothing(app, client, world, body):
    client_id, secret = management_client(app)
    headers = bearer(token_for(client, client_id, secret))
    answer = client.patch(f"/api/v2/users/{world['sub']}", json=body, headers=headers)
    assert answer.status_code == 400 and answer.get_json()["errorCode"] == "invalid_body"
    with app.app_context():
        assert not db.session.query(User).one().blocked


# Clients, connections, logs


def test_clients_never_show_a_secret_and_change_their_urls(app, client, world):
    client_id, secret = management_client(app)
    headers = bearer(token_for(client, client_id, secret))
    listed = client.get("/api/v2/clients?include_totals=true", headers=headers).get_json()
    assert listed["total"] == 2
    assert secret not in str(listed) and "secret" not in str(listed).replace(
        "client_secret_post", ""
    )
    path = f"/api/v2/clients/{world['client_id']}"
    changed = client.patch(
        path,
        json={
            "callbacks": ["https://shop.example/cb2"],
            "allowed_logout_urls": ["https://shop.example/bye"],
            "web_origins": ["https://shop.example"],
            "name": "New Shop",
        },
        headers=headers,
    ).get_json()
    assert changed["callbacks"] == ["https://shop.example/cb2"] and changed["name"] == "New Shop"
    assert changed["app_type"] == "regular_web"
    assert client.get(path, headers=headers).get_json()["web_origins"] == ["https://shop.example"]
    with app.app_context():
        event = db.session.query(Event).filter_by(type="admin.client_updated").one()
        assert event.detail["by"] == f"m2m:{client_id}" and event.client_id == world["client_id"]


@pytest.mark.parametrize(
    "body",
    [
        {"callbacks": ["http://evil.example/cb"]},
        {"callbacks": "https://shop.example/cb"},
        {"client_secret": "mine"},
        {"name": ""},
        {"name": 5},
    ],
)
def test_a_bad_client_change_is_400_and_changes_nothing(app, client, world, body):
    client_id, secret = management_client(app)
    headers = bearer(token_for(client, client_id, secret))
    path = f"/api/v2/clients/{world['client_id']}"
    answer = client.patch(path, json=body, headers=headers)
    assert answer.status_code == 400 and answer.get_json()["errorCode"] == "invalid_body"
    assert client.get(path, headers=headers).get_json()["callbacks"] == ["https://shop.example/cb"]


def test_connections_in_auth0s_passwordless_shape_and_their_changes(app, client, world):
    client_id, secret = management_client(app)
    headers = bearer(token_for(client, client_id, secret))
    listed = client.get("/api/v2/connections", headers=headers).get_json()
    assert [c["id"] for c in listed] == ["con_email", "con_sms"]
    email = client.get("/api/v2/connections/con_email", headers=headers).get_json()
    assert email["strategy"] == "email" and email["options"]["totp"] == {
        "time_step": 300,
        "length": 6,
    }
    assert world["client_id"] in email["enabled_clients"]
    options = email["options"] | {"totp": {"time_step": 600, "length": 8}, "disable_signup": True}
    changed = client.patch(
        "/api/v2/connections/con_email", json={"options": options}, headers=headers
    ).get_json()
    assert changed["options"]["totp"] == {"time_step": 600, "length": 8}
    assert changed["options"]["disable_signup"] is True
    with app.app_context():
        event = db.session.query(Event).filter_by(type="admin.connection_updated").one()
        assert event.detail["by"] == f"m2m:{client_id}"
    checkpoint = client.get("/api/v2/connections?take=50", headers=headers).get_json()
    assert len(checkpoint["connections"]) == 2


@pytest.mark.parametrize(
    "options",
    [
        {"totp": {"length": 3}},
        {"totp": {"length": "6"}},
        {"totp": 6},
        {"send": "link"},
        {"allowed_countries": 5},
        {"allowed_countries": ["XX"]},
        {"brute_force_protection": False},
        {"sender": "x"},
    ],
)
def test_a_bad_connection_change_is_400(app, client, world, options):
    client_id, secret = management_client(app)
    headers = bearer(token_for(client, client_id, secret))
    answer = client.patch("/api/v2/connections/con_sms", json={"options": options}, headers=headers)
    assert answer.status_code == 400 and answer.get_json()["errorCode"] == "invalid_body"
    missing = client.get("/api/v2/connections/con_fax", headers=headers)
    assert missing.status_code == 404


def test_logs_page_and_filter(app, client, world):
    client_id, secret = management_client(app)
    headers = bearer(token_for(client, client_id, secret))
    client.patch(f"/api/v2/users/{world['sub']}", json={"blocked": True}, headers=headers)
    everything = client.get("/api/v2/logs?include_totals=true", headers=headers).get_json()
    types = [log["type"] for log in everything["logs"]]
    assert types[0] == "admin.user_blocked" and "login.success" in types
    blocked = client.get(
        "/api/v2/logs", query_string={"q": 'type:"admin.user_blocked"'}, headers=headers
    ).get_json()
    assert len(blocked) == 1 and blocked[0]["user_id"] == world["sub"]
    assert blocked[0]["details"]["by"] == f"m2m:{client_id}"
    by_user = client.get(
        "/api/v2/logs", query_string={"q": f'user_id:"{world["sub"]}" type:login.'}, headers=headers
    ).get_json()
    assert [log["type"] for log in by_user] == ["login.success"]
    first = int(everything["logs"][-1]["log_id"])
    after = client.get(f"/api/v2/logs?from={first}&take=1", headers=headers).get_json()
    assert [int(log["log_id"]) for log in after] == [first + 1]
    dated = client.get(
        "/api/v2/logs", query_string={"q": "date:[2000-01-01 TO 2001-01-01]"}, headers=headers
    ).get_json()
    assert dated == []
    bad = client.get("/api/v2/logs", query_string={"q": "date:[nonsense TO *]"}, headers=headers)
    assert bad.status_code == 400


# Identities and deleting users (app/accounts/linking.py's rules)


def test_link_a_second_user_then_unlink_its_identity(app, client):
    primary = add_user(app, email=EMAIL)
    secondary = add_user(app, phone=PHONE)
    client_id, secret = management_client(app)
    headers = bearer(token_for(client, client_id, secret))
    linked = client.post(
        f"/api/v2/users/{primary}/identities",
        json={"provider": "sms", "user_id": secondary},
        headers=headers,
    )
    assert linked.status_code == 201, linked.get_json()
    assert {i["provider"] for i in linked.get_json()} == {"email", "sms"}
    assert client.get(f"/api/v2/users/{secondary}", headers=headers).status_code == 404
    user = client.get(f"/api/v2/users/{primary}", headers=headers).get_json()
    assert user["user_id"] == primary and user["phone_number"] == PHONE
    sms = next(i for i in user["identities"] if i["provider"] == "sms")
    left = client.delete(
        f"/api/v2/users/{primary}/identities/sms/{sms['user_id']}", headers=headers
    )
    assert left.status_code == 200 and [i["provider"] for i in left.get_json()] == ["email"]
    alone = client.get(f"/api/v2/users-by-email?email={EMAIL}", headers=headers).get_json()
    assert alone[0]["user_id"] == primary and "phone_number" not in alone[0]
    email = alone[0]["identities"][0]["user_id"]
    last = client.delete(f"/api/v2/users/{primary}/identities/email/{email}", headers=headers)
    assert last.status_code == 400 and last.get_json()["errorCode"] == "operation_not_supported"
    with app.app_context():
        linked_event = db.session.query(Event).filter_by(type="user.merged").one()
        unlinked = db.session.query(Event).filter_by(type="user.identity_unlinked").one()
        assert linked_event.detail["by"] == unlinked.detail["by"] == f"m2m:{client_id}"


@pytest.mark.parametrize(
    "body,status",
    [
        ({"provider": "sms", "user_id": "nobody"}, 404),
        ({"provider": "email", "user_id": "{sub}"}, 400),
        ({"provider": "fax", "user_id": "{other}"}, 400),
        ({"provider": "email", "user_id": "{other}"}, 400),
        ({"link_with": "eyJ..."}, 400),
        ({"provider": "sms", "user_id": "{other}", "connection_id": "con_email"}, 400),
        ({"provider": "sms", "user_id": 5}, 400),
        ([], 400),
    ],
)
def test_a_bad_link_is_refused_and_changes_nothing(app, client, world, body, status):
    other = add_user(app, phone="+14155550100")
    client_id, secret = management_client(app)
    headers = bearer(token_for(client, client_id, secret))
    if isinstance(body, dict):
        body = {
            k: v.format(sub=world["sub"], other=other) if isinstance(v, str) else v
            for k, v in body.items()
        }
    answer = client.post(f"/api/v2/users/{world['sub']}/identities", json=body, headers=headers)
    assert answer.status_code == status, answer.get_json()
    assert client.get(f"/api/v2/users/{other}", headers=headers).status_code == 200


def test_unlinking_an_unknown_identity_is_404(app, client, world):
    client_id, secret = management_client(app)
    headers = bearer(token_for(client, client_id, secret))
    for path in ("email/nope", "fax/nope", "sms/" + "x" * 300):
        answer = client.delete(f"/api/v2/users/{world['sub']}/identities/{path}", headers=headers)
        assert answer.status_code == 404, path


def test_deleting_a_user_ends_them_and_keeps_the_events(app, client, world):
    client_id, secret = management_client(app)
    headers = bearer(token_for(client, client_id, secret))
    assert client.delete(f"/api/v2/users/{world['sub']}", headers=headers).status_code == 204
    assert client.get(f"/api/v2/users/{world['sub']}", headers=headers).status_code == 404
    assert client.delete(f"/api/v2/users/{world['sub']}", headers=headers).status_code == 404
    with app.app_context():
        assert db.session.query(User).count() == 0
        deleted = db.session.query(Event).filter_by(type="user.deleted").one()
        assert deleted.detail["by"] == f"m2m:{client_id}"
        assert db.session.query(Event).filter_by(type="login.success").count() == 1


@pytest.mark.parametrize(
    "method,path",
    [
        ("PATCH", "/api/v2/users/{sub}"),
        ("PATCH", "/api/v2/clients/{client_id}"),
        ("PATCH", "/api/v2/connections/con_email"),
        ("POST", "/api/v2/users/{sub}/identities"),
    ],
)
@pytest.mark.parametrize(
    "data,content_type",
    [
        ("[" * 60_000, "application/json"),  # past the recursion limit, under 64 KiB
        ('{"blocked": tru', "application/json"),
        ("blocked=true", "application/x-www-form-urlencoded"),
        ('{"options": ' + "[" * 5000 + "]" * 5000 + "}", "application/json"),
        (b"\xff\xfe{}", "application/json"),
    ],
)
def test_garbled_bodies_are_400(app, client, world, method, path, data, content_type):
    client_id, secret = management_client(app)
    headers = bearer(token_for(client, client_id, secret))
    answer = client.open(
        path.format(**world), method=method, data=data, content_type=content_type, headers=headers
    )
    assert answer.status_code == 400, answer.get_json()
    assert answer.get_json()["errorCode"] == "invalid_body"


@pytest.mark.parametrize(
    "grant",
    [
        {"grant_type": "http://auth0.com/oauth/grant-type/passwordless/otp"}
        | {"username": EMAIL, "otp": "123456", "realm": "email"},
        {"grant_type": "authorization_code", "code": "x", "redirect_uri": "https://x.example/cb"},
        {"grant_type": "refresh_token", "refresh_token": "x"},
    ],
)
def test_a_management_client_uses_no_other_grant(app, client, grant):
    client_id, secret = management_client(app)
    answer = client.post("/oauth/token", data=grant, auth=(client_id, secret))
    assert answer.status_code in (400, 401), answer.get_json()
    assert answer.get_json()["error"] == "unauthorized_client"
    assert "access_token" not in answer.get_json()


def test_discovery_lists_client_credentials(client):
    document = client.get("/.well-known/openid-configuration").get_json()
    assert "client_credentials" in document["grant_types_supported"]


def test_enabled_clients_say_which_apps_offer_a_connection(app, client, world):
    with app.app_context():
        both, _ = create_client("Both", ["https://both.example/cb"], connections=("email", "sms"))
        both_id = both.client_id
    client_id, secret = management_client(app)
    headers = bearer(token_for(client, client_id, secret))
    sms = client.get("/api/v2/connections/con_sms", headers=headers).get_json()
    assert sms["enabled_clients"] == [both_id]  # the Shop offers email only; bots none
    email = client.get("/api/v2/connections/con_email", headers=headers).get_json()
    assert email["enabled_clients"] == [world["client_id"], both_id]
    changed = client.patch(
        "/api/v2/connections/con_sms",
        json={"enabled_clients": [world["client_id"]]},
        headers=headers,
    ).get_json()
    assert changed["enabled_clients"] == [world["client_id"]]
    shop = client.get(f"/api/v2/clients/{world['client_id']}", headers=headers)
    assert shop.status_code == 200
    with app.app_context():
        from app.accounts.clients import find_client

        assert find_client(world["client_id"]).connections == ["email", "sms"]
        assert find_client(both_id).connections == ["email"]


@pytest.mark.parametrize(
    "body",
    [
        {"enabled_clients": []},  # the Shop would have no connection left
        {"enabled_clients": ["unknown"]},
        {"enabled_clients": "all"},
        {"enabled_clients": [], "options": {"totp": {"length": 8}}},
    ],
)
def test_bad_enabled_clients_change_nothing(app, client, world, body):
    client_id, secret = management_client(app)
    headers = bearer(token_for(client, client_id, secret))
    answer = client.patch("/api/v2/connections/con_email", json=body, headers=headers)
    assert answer.status_code == 400 and answer.get_json()["errorCode"] == "invalid_body"
    email = client.get("/api/v2/connections/con_email", headers=headers).get_json()
    assert email["enabled_clients"] == [world["client_id"]]
    assert email["options"]["totp"]["length"] == 6


def test_a_block_through_the_api_ends_the_users_tokens(app, client):
    """A real sign-in (Auth0's passwordless API), then the block: /userinfo refuses the
    token the app held, and the user gets no new code."""
    from helpers import messages_to

    with app.app_context():
        native, _ = create_client("Phone App", ["com.example.app:/cb"], client_type="native")
        app_id = native.client_id
    start = {"client_id": app_id, "connection": "email", "email": EMAIL, "send": "code"}
    assert client.post("/passwordless/start", json=start).status_code == 200
    otp = {
        "grant_type": "http://auth0.com/oauth/grant-type/passwordless/otp",
        "client_id": app_id,
        "username": EMAIL,
        "otp": messages_to(app, EMAIL)[-1].code,
        "realm": "email",
        "scope": "openid email",
    }
    user_token = client.post("/oauth/token", json=otp).get_json()["access_token"]
    assert client.get("/userinfo", headers=bearer(user_token)).status_code == 200
    client_id, secret = management_client(app)
    headers = bearer(token_for(client, client_id, secret))
    sub = client.get(f"/api/v2/users-by-email?email={EMAIL}", headers=headers).get_json()[0]
    blocked = client.patch(
        f"/api/v2/users/{sub['user_id']}", json={"blocked": True}, headers=headers
    )
    assert blocked.get_json()["blocked"] is True
    assert client.get("/userinfo", headers=bearer(user_token)).status_code == 401
    sent = len(messages_to(app, EMAIL))
    assert client.post("/passwordless/start", json=start).status_code == 200
    assert len(messages_to(app, EMAIL)) == sent
