"""GET /api/v2/users, /users-by-email and /users/{id} with Auth0's `fields` and
`include_fields`, and /users with `sort`: over plain HTTP (the error shapes) and with
Auth0's own SDK (auth0-python's ManagementClient) against a live server."""

from __future__ import annotations

from datetime import datetime

import pytest
from auth0.management import ManagementClient
from auth0.management.errors import BadRequestError
from management import add_user, bearer, management_client, token_for
from sqlalchemy import select
from tls import https_live_server

from app.extensions import db
from app.models import User

# (email, phone, created, last login) of the users, made in this order
PEOPLE = [
    ("carol@example.com", None, datetime(2026, 3, 1), datetime(2026, 11, 2)),
    ("ada@example.com", "+14155552671", datetime(2026, 1, 1), None),
    (None, "+14155552672", datetime(2026, 2, 1), datetime(2026, 11, 5)),
    ("bob@example.com", None, datetime(2026, 4, 1), datetime(2026, 11, 1)),
]


def add_people(app) -> dict[str, str]:
    """PEOPLE, with their times; returns each one's sub by email (or phone)."""
    subs = {}
    for email, phone, created, last_login in PEOPLE:
        sub = add_user(app, email=email, phone=phone)
        with app.app_context():
            user = db.session.scalars(select(User).filter_by(sub=sub)).one()
            user.created_at, user.last_login_at = created, last_login
            db.session.commit()
        subs[email or phone] = sub
    return subs


@pytest.fixture
def people(app):
    return add_people(app)


@pytest.fixture
def http(app):
    """A test client and the Authorization header of a read:users token."""
    client = app.test_client()
    client_id, secret = management_client(app, scopes=["read:users"])
    return client, bearer(token_for(client, client_id, secret))


def listed(http, query: str):
    client, headers = http
    answer = client.get(f"/api/v2/users?{query}", headers=headers)
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


# fields and include_fields


def test_fields_keeps_only_the_named_fields(http, people):
    users = listed(http, "fields=email,user_id&include_fields=true")

    assert users[0] == {"email": "carol@example.com", "user_id": people["carol@example.com"]}
    assert users[2] == {"user_id": people["+14155552672"]}  # no address: no email field
    assert listed(http, "fields=email,user_id") == users  # include_fields defaults to true


def test_include_fields_false_leaves_the_named_fields_out(http, people):
    users = listed(http, "fields=identities,created_at,updated_at&include_fields=false")

    assert users[1] == {
        "user_id": people["ada@example.com"],
        "email": "ada@example.com",
        "email_verified": True,
        "phone_number": "+14155552671",
        "phone_verified": True,
        "blocked": False,
    }


def test_fields_apply_inside_the_totals_object_and_to_one_user(http, people):
    client, headers = http
    page = listed(http, "fields=user_id&include_totals=true&per_page=2")
    one = client.get(
        f"/api/v2/users/{people['bob@example.com']}?fields=last_login,blocked", headers=headers
    )
    by_email = client.get(
        "/api/v2/users-by-email?email=BOB@example.com&fields=email", headers=headers
    )

    assert page["total"] == 4 and page["users"] == [
        {"user_id": people["carol@example.com"]},
        {"user_id": people["ada@example.com"]},
    ]
    assert one.get_json() == {"last_login": "2026-11-01T00:00:00.000Z", "blocked": False}
    assert by_email.get_json() == [{"email": "bob@example.com"}]


def test_empty_fields_send_every_field(http, people):
    assert listed(http, "fields=&include_fields=false") == listed(http, "")
    assert listed(http, "fields=,,") == listed(http, "")


# sort


@pytest.mark.parametrize(
    "sort, order",
    [
        (
            "created_at:1",
            ["ada@example.com", "+14155552672", "carol@example.com", "bob@example.com"],
        ),
        (
            "created_at:-1",
            ["bob@example.com", "carol@example.com", "+14155552672", "ada@example.com"],
        ),
        ("email:1", ["ada@example.com", "bob@example.com", "carol@example.com", "+14155552672"]),
        ("email:-1", ["carol@example.com", "bob@example.com", "ada@example.com", "+14155552672"]),
        (
            "phone_number:-1",
            ["+14155552672", "ada@example.com", "carol@example.com", "bob@example.com"],
        ),
        # never signed in: last either way
        (
            "last_login:1",
            ["bob@example.com", "carol@example.com", "+14155552672", "ada@example.com"],
        ),
        (
            "last_login:-1",
            ["+14155552672", "carol@example.com", "bob@example.com", "ada@example.com"],
        ),
        # updated_at is the last login, else the creation
        (
            "updated_at:1",
            ["ada@example.com", "bob@example.com", "carol@example.com", "+14155552672"],
        ),
    ],
)
def test_sort_orders_by_the_field(http, people, sort, order):
    users = listed(http, f"sort={sort}&fields=user_id")

    assert [u["user_id"] for u in users] == [people[who] for who in order]


def test_sort_by_user_id_and_with_paging(http, people):
    ascending = sorted(people.values())

    assert [u["user_id"] for u in listed(http, "sort=user_id:1")] == ascending
    second_page = listed(http, "sort=user_id:-1&per_page=3&page=1&fields=user_id")
    assert second_page == [{"user_id": ascending[0]}]


def test_sort_keeps_a_search(http, people):
    users = listed(http, 'q=email:"bob@example.com"&sort=email:-1&fields=email')

    assert users == [{"email": "bob@example.com"}]


# Refused, in Auth0's shape


@pytest.mark.parametrize(
    "path",
    [
        "/api/v2/users?fields=email,name",
        "/api/v2/users?fields=password",
        "/api/v2/users?include_fields=yes",
        "/api/v2/users?fields=" + "x" * 1001,
        "/api/v2/users-by-email?email=ada@example.com&fields=app_metadata",
        "/api/v2/users/{sub}?fields=nickname",
        "/api/v2/users/{sub}?fields=email&include_fields=1",
        "/api/v2/users?sort=email",
        "/api/v2/users?sort=email:2",
        "/api/v2/users?sort=name:1",
        "/api/v2/users?sort=blocked:1",
        "/api/v2/users?sort=email:1,created_at:-1",
        "/api/v2/users?sort=%00:1",
        "/api/v2/users?sort=" + "a" * 500 + ":1",
    ],
)
def test_an_unknown_field_or_a_bad_sort_is_a_400(http, people, path):
    client, headers = http

    refused = client.get(path.format(sub=people["ada@example.com"]), headers=headers)

    assert refused.status_code == 400
    body = refused.get_json()
    assert body["statusCode"] == 400 and body["error"] == "Bad Request"
    assert body["errorCode"] == "invalid_query_string"
    assert body["message"].startswith("Query validation error: ")
    assert len(body["message"]) < 300


def test_the_message_names_the_unknown_field_and_the_known_ones(http, people):
    client, headers = http

    refused = client.get("/api/v2/users?fields=email,name", headers=headers).get_json()
    bad_sort = client.get("/api/v2/users?sort=name:1", headers=headers).get_json()

    assert "name" in refused["message"] and "phone_number" in refused["message"]
    assert "created_at" in bad_sort["message"] and "field:-1" in bad_sort["message"]


# Auth0's Python SDK


def test_the_sdk_lists_with_fields_and_sort(live_server, tmp_path, monkeypatch):
    server = https_live_server(live_server, tmp_path, monkeypatch)
    subs = add_people(server.app)
    client_id, secret = management_client(server.app, scopes=["read:users"])
    api = ManagementClient(
        domain=server.url.removeprefix("https://"), client_id=client_id, client_secret=secret
    )

    users = list(api.users.list(sort="created_at:-1", fields="user_id,email", include_fields=True))
    one = api.users.get(subs["ada@example.com"], fields="phone_number", include_fields=True)
    without = api.users.list_users_by_email(
        email="ada@example.com", fields="identities", include_fields=False
    )

    assert [u.user_id for u in users] == [
        subs[w] for w in ("bob@example.com", "carol@example.com", "+14155552672", "ada@example.com")
    ]
    assert users[0].email == "bob@example.com" and users[0].created_at is None
    assert one.phone_number == "+14155552671" and one.user_id is None and one.email is None
    assert without[0].email == "ada@example.com" and without[0].identities is None
    with pytest.raises(BadRequestError) as refused:
        list(api.users.list(sort="nickname:1"))
    assert refused.value.body["errorCode"] == "invalid_query_string"
