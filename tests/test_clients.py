"""Client and connection rules: registration, validation, secrets, updates, deletion."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.accounts import clients
from app.accounts.clients import InvalidClient
from app.accounts.connections import InvalidSetting, get_connection, update_connection
from app.extensions import db
from app.models import (
    AccessToken,
    AuthorizationCode,
    Client,
    Event,
    LoginTicket,
    OutboxMessage,
    User,
    sha256_hex,
    utcnow,
)


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


def event_types() -> list[str]:
    return [e.type for e in db.session.execute(select(Event).order_by(Event.id)).scalars()]


# Creating


def test_regular_client_gets_a_secret_stored_only_hashed(ctx):
    client, secret = clients.create_client("Shop", ["https://shop.example.com/callback"])

    assert secret and len(secret) >= 40
    assert client.client_secret_hash == sha256_hex(secret)
    assert client.check_secret(secret)
    assert not client.check_secret(secret + "x")
    assert client.client_id.isalnum() and len(client.client_id) >= 22
    assert client.redirect_uris == ["https://shop.example.com/callback"]
    assert client.connections == ["email"]
    assert "admin.client_created" in event_types()


@pytest.mark.parametrize("client_type", ["spa", "native"])
def test_public_clients_get_no_secret(ctx, client_type):
    callback = "http://127.0.0.1:8080/cb"
    client, secret = clients.create_client("App", [callback], client_type=client_type)

    assert secret is None
    assert client.client_secret_hash is None
    assert client.is_public


def test_client_ids_are_unique(ctx):
    ids = {
        clients.create_client(f"App {n}", ["https://a.example.com/cb"])[0].client_id
        for n in range(20)
    }
    assert len(ids) == 20


def test_find_client(ctx):
    client, _ = clients.create_client("Shop", ["https://shop.example.com/cb"])

    assert clients.find_client(client.client_id) is client
    assert clients.find_client("nope") is None
    assert clients.find_client("") is None


def test_duplicate_callbacks_are_kept_once_in_order(ctx):
    client, _ = clients.create_client(
        "Shop", ["https://b.example.com/cb", "https://a.example.com/cb", "https://b.example.com/cb"]
    )
    assert client.redirect_uris == ["https://b.example.com/cb", "https://a.example.com/cb"]


# Callback rules


@pytest.mark.parametrize(
    "client_type, callback",
    [
        ("regular", "https://app.example.com/callback"),
        ("regular", "https://app.example.com/callback?tenant=1"),
        ("regular", "http://localhost:3000/callback"),
        ("regular", "http://127.0.0.1:5000/callback"),
        ("spa", "http://[::1]:8080/callback"),
        ("spa", "https://app.example.com"),
        ("native", "http://127.0.0.1/callback"),
        ("native", "http://[::1]:51000/callback"),
        ("native", "com.example.app:/callback"),
        ("native", "com.example.app://oauth/callback"),
        ("native", "https://app.example.com/native-callback"),
    ],
)
def test_good_callbacks_are_accepted(ctx, client_type, callback):
    client, _ = clients.create_client("App", [callback], client_type=client_type)
    assert client.redirect_uris == [callback]


@pytest.mark.parametrize(
    "client_type, callback, says",
    [
        ("regular", "https://app.example.com/cb#top", "fragment"),
        ("regular", "https://app.example.com/cb#", "fragment"),
        ("regular", "https://user@app.example.com/cb", "user information"),
        ("regular", "https://user:pw@app.example.com/cb", "user information"),
        ("regular", "http://app.example.com/cb", "https"),
        ("spa", "http://10.0.0.5/cb", "https"),
        ("regular", "https://*.example.com/cb", "wildcard"),
        ("regular", "https://app.example.com/*", "wildcard"),
        ("native", "http://localhost:8080/cb", "localhost"),
        ("native", "myapp:/callback", "reverse domain"),
        ("native", "javascript:alert(1)", "reverse domain"),
        ("native", "com.example.app:callback", "path"),
        ("regular", "com.example.app:/callback", "https"),
        ("regular", "/callback", "absolute"),
        ("regular", "app.example.com/callback", "absolute"),
        ("regular", "https:///callback", "host"),
        ("regular", "https://exa mple.com/cb", "spaces"),
        ("regular", "https://app.example.com/cb\r\nX: y", "control"),
        ("regular", "https://app.example.com:99999/cb", "not a valid URL"),
        ("regular", "https://ex_ample.com/cb", "host name"),
        ("regular", "https://app.example.com\\@evil.com/", "backslash"),
        ("regular", "", "empty"),
        ("regular", "x" * 2001, "at most"),
        ("native", "HTTP://127.0.0.1:8000/cb", "lower case"),
        ("regular", "HTTPS://app.example.com/cb", "lower case"),
        ("native", "http://127.0.0.1:01234/cb", "leading zeros"),
        ("native", "http://127.0.0.1:0/cb", "leading zeros"),
        ("native", "http://[::1]:0/cb", "leading zeros"),
        ("native", "http://127.0.0.1:/cb", "leading zeros"),
        ("native", "http://127.0.0.1:8000/cb?", "empty query"),
        ("regular", "https://app.example.com/cb?", "empty query"),
    ],
)
def test_bad_callbacks_are_refused(ctx, client_type, callback, says):
    with pytest.raises(InvalidClient, match=says):
        clients.create_client("App", [callback], client_type=client_type)
    assert db.session.execute(select(Client)).first() is None


def test_at_least_one_callback(ctx):
    with pytest.raises(InvalidClient, match="at least one callback"):
        clients.create_client("App", [])


# Names, types, origins, logout URLs, connections


@pytest.mark.parametrize("name", ["", "   ", "x" * 201, "bad\nname"])
def test_bad_names_are_refused(ctx, name):
    with pytest.raises(InvalidClient):
        clients.create_client(name, ["https://a.example.com/cb"])


def test_name_is_trimmed_and_200_characters_allowed(ctx):
    client, _ = clients.create_client("  " + "x" * 200 + " ", ["https://a.example.com/cb"])
    assert client.name == "x" * 200


def test_unknown_type_is_refused(ctx):
    with pytest.raises(InvalidClient, match="client type"):
        clients.create_client("App", ["https://a.example.com/cb"], client_type="machine")


def test_origins_are_normalized(ctx):
    client, _ = clients.create_client(
        "App",
        ["https://a.example.com/cb"],
        origins=[
            "https://App.Example.com/",
            "https://app.example.com:443",
            "http://localhost:3000",
        ],
    )
    assert client.web_origins == ["https://app.example.com", "http://localhost:3000"]


@pytest.mark.parametrize(
    "origin",
    [
        "https://app.example.com/path",
        "http://app.example.com",
        "app.example.com",
        "https://*.x.com",
    ],
)
def test_bad_origins_are_refused(ctx, origin):
    with pytest.raises(InvalidClient, match="Origin"):
        clients.create_client("App", ["https://a.example.com/cb"], origins=[origin])


def test_logout_urls(ctx):
    client, _ = clients.create_client(
        "App", ["https://a.example.com/cb"], logout_urls=["https://a.example.com/bye"]
    )
    assert client.logout_urls == ["https://a.example.com/bye"]
    for bad in ("http://a.example.com/bye", "com.example.app:/bye", "https://u@a.example.com/"):
        with pytest.raises(InvalidClient, match="Logout URL"):
            clients.create_client("App", ["https://a.example.com/cb"], logout_urls=[bad])


def test_connections(ctx):
    client, _ = clients.create_client(
        "App", ["https://a.example.com/cb"], connections=["sms", "email", "sms"]
    )
    assert client.connections == ["sms", "email"]
    with pytest.raises(InvalidClient, match="Unknown connection 'github'"):
        clients.create_client("App", ["https://a.example.com/cb"], connections=["github"])
    with pytest.raises(InvalidClient, match="at least one connection"):
        clients.create_client("App", ["https://a.example.com/cb"], connections=[])


# Changing and deleting


def test_update_changes_only_what_is_given(ctx):
    client, _ = clients.create_client("Shop", ["https://shop.example.com/cb"])

    clients.update_client(client, name="Shop 2", callbacks=["https://shop.example.com/cb2"])

    assert client.name == "Shop 2"
    assert client.redirect_uris == ["https://shop.example.com/cb2"]
    assert client.connections == ["email"]
    assert "admin.client_updated" in event_types()


def test_bad_update_changes_nothing(ctx):
    client, _ = clients.create_client("Shop", ["https://shop.example.com/cb"])

    with pytest.raises(InvalidClient):
        clients.update_client(client, name="New name", callbacks=["http://shop.example.com/cb"])
    db.session.rollback()

    client = clients.find_client(client.client_id)
    assert client.name == "Shop"
    assert client.redirect_uris == ["https://shop.example.com/cb"]


def test_update_checks_callbacks_against_the_client_type(ctx):
    client, _ = clients.create_client("App", ["http://127.0.0.1/cb"], client_type="native")
    clients.update_client(client, callbacks=["com.example.app:/cb"])
    assert client.redirect_uris == ["com.example.app:/cb"]
    with pytest.raises(InvalidClient, match="localhost"):
        clients.update_client(client, callbacks=["http://localhost/cb"])


def test_update_refuses_unknown_settings(ctx):
    client, _ = clients.create_client("App", ["https://a.example.com/cb"])
    with pytest.raises(InvalidClient, match="client_secret_hash"):
        clients.update_client(client, client_secret_hash="0" * 64)


def test_rotate_secret(ctx):
    client, old = clients.create_client("Shop", ["https://shop.example.com/cb"])

    new = clients.rotate_secret(client)

    assert new != old
    assert client.check_secret(new)
    assert not client.check_secret(old)
    assert "admin.client_secret_rotated" in event_types()


def test_public_clients_have_no_secret_to_rotate(ctx):
    client, _ = clients.create_client("SPA", ["https://spa.example.com/cb"], client_type="spa")
    with pytest.raises(InvalidClient, match="public"):
        clients.rotate_secret(client)
    assert client.client_secret_hash is None


def test_delete_client(ctx):
    client, _ = clients.create_client("Shop", ["https://shop.example.com/cb"])
    client_id = client.client_id

    clients.delete_client(client)

    assert clients.find_client(client_id) is None
    assert "admin.client_deleted" in event_types()


def test_delete_client_removes_its_tickets_codes_and_tokens_but_keeps_the_outbox(ctx):
    client, _ = clients.create_client("Shop", ["https://shop.example.com/cb"])
    other, _ = clients.create_client("Other", ["https://other.example.com/cb"])
    user = User()
    db.session.add(user)
    db.session.flush()
    later = utcnow() + timedelta(minutes=5)
    for owner in (client, other):
        ticket = LoginTicket(
            connection="email",
            recipient="a@example.com",
            client_pk=owner.id,
            code_hash="0" * 64,
            binding_hash="1" * 64,
            expires_at=later,
        )
        db.session.add(ticket)
        db.session.flush()
        db.session.add(
            OutboxMessage(channel="email", recipient="a@example.com", ticket_id=ticket.id)
        )
        code = AuthorizationCode(
            code_hash=sha256_hex(owner.client_id),
            client_id=owner.client_id,
            user_id=user.id,
            redirect_uri=owner.redirect_uris[0],
            auth_time=0,
            expires_at=later,
        )
        db.session.add(code)
        db.session.flush()
        db.session.add(
            AccessToken(
                token_hash=sha256_hex("t" + owner.client_id),
                client_id=owner.client_id,
                user_id=user.id,
                authorization_code_id=code.id,
                expires_at=later,
            )
        )
    db.session.commit()

    clients.delete_client(client)

    assert [t.client_pk for t in db.session.query(LoginTicket)] == [other.id]
    assert [c.client_id for c in db.session.query(AuthorizationCode)] == [other.client_id]
    assert [t.client_id for t in db.session.query(AccessToken)] == [other.client_id]
    outbox = db.session.query(OutboxMessage).order_by(OutboxMessage.id).all()
    assert len(outbox) == 2 and outbox[0].ticket_id is None and outbox[1].ticket_id


# Connections


def test_connection_defaults(ctx):
    email = get_connection("email")
    assert (email.send, email.code_length, email.ttl_seconds, email.max_attempts) == (
        "code",
        6,
        300,
        3,
    )
    assert email.signup_allowed is True


def test_update_connection(ctx):
    update_connection(
        "email", send="link", code_length=8, ttl_seconds=600, max_attempts=5, signup_allowed=False
    )
    db.session.expire_all()

    email = get_connection("email")
    assert (email.send, email.code_length, email.ttl_seconds, email.max_attempts) == (
        "link",
        8,
        600,
        5,
    )
    assert email.signup_allowed is False
    assert get_connection("sms").code_length == 6
    assert "admin.connection_updated" in event_types()


@pytest.mark.parametrize(
    "setting, value",
    [
        ("code_length", 4),
        ("code_length", 12),
        ("ttl_seconds", 60),
        ("ttl_seconds", 3600),
        ("max_attempts", 1),
        ("max_attempts", 10),
    ],
)
def test_connection_bounds_are_accepted(ctx, setting, value):
    connection = update_connection("email", **{setting: value})
    assert getattr(connection, setting) == value


@pytest.mark.parametrize(
    "setting, value, says",
    [
        ("code_length", 3, "Code length must be from 4 to 12"),
        ("code_length", 13, "Code length must be from 4 to 12"),
        ("ttl_seconds", 59, "lifetime must be from 60 to 3600"),
        ("ttl_seconds", 3601, "lifetime must be from 60 to 3600"),
        ("max_attempts", 0, "Max attempts must be from 1 to 10"),
        ("max_attempts", 11, "Max attempts must be from 1 to 10"),
        ("code_length", "6", "whole number"),
        ("code_length", True, "whole number"),
        ("send", "carrier-pigeon", "Send must be one of"),
        ("signup_allowed", "yes", "true or false"),
    ],
)
def test_connection_bad_values_change_nothing(ctx, setting, value, says):
    with pytest.raises(InvalidSetting, match=says):
        update_connection("email", **{"code_length": 8, setting: value})
    db.session.rollback()
    assert get_connection("email").code_length == 6


def test_sms_sends_codes_only(ctx):
    with pytest.raises(InvalidSetting, match="sms connection sends codes only"):
        update_connection("sms", send="link")
    assert update_connection("sms", send="code").send == "code"
