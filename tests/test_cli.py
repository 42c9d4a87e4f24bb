"""The operator CLI, driven the way an operator types it."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select, text

from app.accounts.connections import get_connection
from app.extensions import db
from app.models import Client, Event, Identity, User
from app.oidc import keys

SHOP_CALLBACK = "https://shop.example.com/callback"


def create(runner, *args: str) -> dict:
    """`clients create ... --json`, parsed."""
    result = runner.invoke(args=["clients", "create", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def create_shop(runner, *extra: str) -> dict:
    return create(runner, "--name", "Shop", "--callback", SHOP_CALLBACK, *extra)


def refused(result, says: str, exit_code: int = 1) -> None:
    """A clear one-line error, a non-zero exit and no traceback."""
    assert result.exit_code == exit_code, result.output
    assert says in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


# clients create


def test_create_prints_one_json_object(runner, app):
    data = create_shop(
        runner,
        "--origin",
        "https://shop.example.com",
        "--logout-url",
        "https://shop.example.com/bye",
    )

    assert set(data) == {
        "client_id",
        "client_secret",
        "name",
        "type",
        "confidential",
        "callbacks",
        "origins",
        "logout_urls",
        "connections",
        "initiate_login_uri",
        "cross_origin_loc",
        "logo_url",
        "primary_color",
        "background_color",
        "theme",
        "default_language",
        "created",
    }
    assert data["name"] == "Shop"
    assert data["type"] == "regular"
    assert data["callbacks"] == [SHOP_CALLBACK]
    assert data["origins"] == ["https://shop.example.com"]
    assert data["logout_urls"] == ["https://shop.example.com/bye"]
    assert data["connections"] == ["email"]
    with app.app_context():
        client = db.session.execute(select(Client)).scalar_one()
        assert client.client_id == data["client_id"]
        assert client.check_secret(data["client_secret"])


def test_secret_is_stored_only_hashed(runner, app):
    data = create_shop(runner)
    secret = data["client_secret"]

    with app.app_context():
        row = db.session.execute(text("SELECT * FROM clients")).mappings().one()
        events = db.session.execute(text("SELECT * FROM events")).mappings().all()
    assert secret not in json.dumps({k: str(v) for k, v in row.items()})
    assert all(secret not in str(dict(e)) for e in events)


def test_create_without_json_warns_the_secret_is_shown_once(runner):
    result = runner.invoke(
        args=["clients", "create", "--name", "Shop", "--callback", SHOP_CALLBACK]
    )

    assert result.exit_code == 0, result.output
    assert "client_secret:" in result.output
    assert "cannot be shown again" in result.output


def test_public_clients_get_a_null_secret(runner):
    data = create(
        runner,
        "--name",
        "Mobile",
        "--type",
        "native",
        "--callback",
        "com.example.app:/cb",
        "--callback",
        "http://127.0.0.1/cb",
        "--connections",
        "email,sms",
    )

    assert data["client_secret"] is None
    assert data["type"] == "native"
    assert data["callbacks"] == ["com.example.app:/cb", "http://127.0.0.1/cb"]
    assert data["connections"] == ["email", "sms"]


@pytest.mark.parametrize(
    "client_type, callback, says",
    [
        ("regular", "https://shop.example.com/cb#fragment", "fragment"),
        ("regular", "https://user@shop.example.com/cb", "user information"),
        ("regular", "http://shop.example.com/cb", "https"),
        ("native", "http://localhost:8080/cb", "not 'localhost'"),
        ("native", "myapp:/callback", "reverse domain name"),
        ("regular", "/callback", "absolute URL"),
        ("regular", "not a url at all", "spaces"),
        ("regular", "https://*.example.com/cb", "wildcards"),
    ],
)
def test_bad_callbacks_are_refused(runner, app, client_type, callback, says):
    result = runner.invoke(
        args=["clients", "create", "--name", "X", "--type", client_type, "--callback", callback]
    )

    refused(result, says)
    assert result.output.strip().startswith("Error:")
    with app.app_context():
        assert db.session.execute(select(Client)).first() is None


@pytest.mark.parametrize(
    "args, says, exit_code",
    [
        (["--name", "X"], "Missing option '--callback'", 2),
        (["--callback", SHOP_CALLBACK], "Missing option '--name'", 2),
        (["--name", "X", "--callback", SHOP_CALLBACK, "--type", "machine"], "'machine'", 2),
        (["--name", "", "--callback", SHOP_CALLBACK], "name must not be empty", 1),
        (["--name", "X", "--callback", SHOP_CALLBACK, "--connections", "email,ldap"], "ldap", 1),
        (["--name", "X", "--callback", SHOP_CALLBACK, "--origin", "https://a.com/x"], "path", 1),
        (["--name", "X", "--callback", SHOP_CALLBACK, "--logout-url", "ftp://a.com/"], "https", 1),
    ],
)
def test_bad_create_options_are_refused(runner, args, says, exit_code):
    refused(runner.invoke(args=["clients", "create", *args]), says, exit_code)


# clients list / show never print secrets


def test_list_and_show_never_print_secrets(runner, app):
    data = create_shop(runner)
    secret = data["client_secret"]
    with app.app_context():
        secret_hash = db.session.execute(select(Client)).scalar_one().client_secret_hash

    outputs = [
        runner.invoke(args=["clients", "list"]),
        runner.invoke(args=["clients", "list", "--json"]),
        runner.invoke(args=["clients", "show", data["client_id"]]),
        runner.invoke(args=["clients", "show", data["client_id"], "--json"]),
    ]

    for result in outputs:
        assert result.exit_code == 0, result.output
        assert secret not in result.output
        assert secret_hash not in result.output
    assert data["client_id"] in outputs[0].output
    listed = json.loads(outputs[1].stdout)
    assert [c["client_id"] for c in listed] == [data["client_id"]]
    assert "client_secret" not in listed[0]
    shown = json.loads(outputs[3].stdout)
    assert shown["callbacks"] == [SHOP_CALLBACK]
    assert "client_secret" not in shown


def test_unknown_client_is_a_clear_error(runner):
    for command in (["show"], ["update", "--name", "X"], ["delete", "--yes"]):
        result = runner.invoke(args=["clients", command[0], "nope", *command[1:]])
        refused(result, "No client with client_id 'nope'")


# clients update / delete


def test_update_replaces_lists_and_keeps_the_rest(runner, app):
    data = create_shop(runner, "--origin", "https://shop.example.com")

    result = runner.invoke(
        args=[
            "clients",
            "update",
            data["client_id"],
            "--name",
            "Shop 2",
            "--callback",
            "https://shop.example.com/a",
            "--callback",
            "https://shop.example.com/b",
            "--connections",
            "sms",
        ]
    )

    assert result.exit_code == 0, result.output
    with app.app_context():
        client = db.session.execute(select(Client)).scalar_one()
        assert client.name == "Shop 2"
        assert client.redirect_uris == ["https://shop.example.com/a", "https://shop.example.com/b"]
        assert client.web_origins == ["https://shop.example.com"]
        assert client.connections == ["sms"]
        assert client.check_secret(data["client_secret"])


def test_update_can_clear_origins(runner, app):
    data = create_shop(runner, "--origin", "https://shop.example.com")

    result = runner.invoke(args=["clients", "update", data["client_id"], "--clear-origins"])

    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.execute(select(Client)).scalar_one().web_origins == []


def test_bad_update_is_refused_and_changes_nothing(runner, app):
    data = create_shop(runner)

    result = runner.invoke(
        args=[
            "clients",
            "update",
            data["client_id"],
            "--name",
            "New",
            "--callback",
            "https://shop.example.com/cb#x",
        ]
    )

    refused(result, "fragment")
    with app.app_context():
        client = db.session.execute(select(Client)).scalar_one()
        assert (client.name, client.redirect_uris) == ("Shop", [SHOP_CALLBACK])


def test_update_without_options_is_a_usage_error(runner):
    data = create_shop(runner)
    refused(runner.invoke(args=["clients", "update", data["client_id"]]), "Nothing to change", 2)


def test_rotate_secret(runner, app):
    data = create_shop(runner)

    result = runner.invoke(
        args=["clients", "update", data["client_id"], "--rotate-secret", "--json"]
    )

    assert result.exit_code == 0, result.output
    new_secret = json.loads(result.stdout)["client_secret"]
    assert new_secret and new_secret != data["client_secret"]
    with app.app_context():
        client = db.session.execute(select(Client)).scalar_one()
        assert client.check_secret(new_secret)
        assert not client.check_secret(data["client_secret"])


def test_public_client_cannot_rotate_a_secret(runner):
    data = create(runner, "--name", "SPA", "--type", "spa", "--callback", SHOP_CALLBACK)
    refused(
        runner.invoke(args=["clients", "update", data["client_id"], "--rotate-secret"]), "public"
    )


def test_delete_asks_unless_yes(runner, app):
    data = create_shop(runner)

    declined = runner.invoke(args=["clients", "delete", data["client_id"]], input="n\n")
    assert declined.exit_code == 1
    with app.app_context():
        assert db.session.execute(select(Client)).first() is not None

    result = runner.invoke(args=["clients", "delete", data["client_id"], "--yes"])
    assert result.exit_code == 0, result.output
    assert "Deleted" in result.output
    with app.app_context():
        assert db.session.execute(select(Client)).first() is None


# connections


def test_connections_show(runner):
    result = runner.invoke(args=["connections", "show", "--json"])
    assert result.exit_code == 0, result.output
    assert [c["name"] for c in json.loads(result.stdout)] == ["email", "sms"]

    result = runner.invoke(args=["connections", "show", "email", "--json"])
    email = json.loads(result.stdout)
    assert (email["send"], email["code_length"], email["ttl_seconds"]) == ("code", 6, 300)

    result = runner.invoke(args=["connections", "show"])
    assert "code length:    6 digits" in result.output


def test_connections_update(runner, app):
    result = runner.invoke(
        args=[
            "connections",
            "update",
            "email",
            "--send",
            "link",
            "--code-length",
            "8",
            "--ttl",
            "600",
            "--max-attempts",
            "5",
            "--no-signup",
        ]
    )

    assert result.exit_code == 0, result.output
    with app.app_context():
        email = get_connection("email")
        assert (email.send, email.code_length, email.ttl_seconds, email.max_attempts) == (
            "link",
            8,
            600,
            5,
        )
        assert email.signup_allowed is False
        event = db.session.execute(select(Event).filter_by(type="admin.connection_updated"))
        assert event.scalar_one().connection == "email"

    assert runner.invoke(args=["connections", "update", "email", "--signup"]).exit_code == 0
    with app.app_context():
        assert get_connection("email").signup_allowed is True


@pytest.mark.parametrize(
    "args",
    [
        ["--code-length", "4"],
        ["--code-length", "12"],
        ["--ttl", "60"],
        ["--ttl", "3600"],
        ["--max-attempts", "1"],
        ["--max-attempts", "10"],
    ],
)
def test_connection_bounds_accepted(runner, args):
    result = runner.invoke(args=["connections", "update", "sms", *args])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    "args, says",
    [
        (["--code-length", "3"], "Code length must be from 4 to 12 digits, not 3"),
        (["--code-length", "13"], "Code length must be from 4 to 12 digits, not 13"),
        (["--ttl", "59"], "lifetime must be from 60 to 3600 seconds, not 59"),
        (["--ttl", "3601"], "lifetime must be from 60 to 3600 seconds, not 3601"),
        (["--max-attempts", "0"], "Max attempts must be from 1 to 10"),
        (["--max-attempts", "11"], "Max attempts must be from 1 to 10"),
    ],
)
def test_connection_values_out_of_range_are_refused(runner, app, args, says):
    result = runner.invoke(args=["connections", "update", "email", "--code-length", "8", *args])

    refused(result, says)
    with app.app_context():
        assert get_connection("email").code_length == 6


@pytest.mark.parametrize(
    "args, says",
    [
        (["email", "--send", "pigeon"], "'pigeon'"),
        (["email", "--code-length", "six"], "'six' is not a valid integer"),
        (["ldap", "--ttl", "60"], "'ldap'"),
        (["email"], "Nothing to change"),
    ],
)
def test_connection_usage_errors(runner, args, says):
    refused(runner.invoke(args=["connections", "update", *args]), says, exit_code=2)


def test_sms_refuses_magic_links(runner):
    refused(runner.invoke(args=["connections", "update", "sms", "--send", "link"]), "codes only")


# users


@pytest.fixture
def alice(app):
    with app.app_context():
        user = User()
        user.identities.append(
            Identity(connection="email", value="alice@example.com", verified=True)
        )
        db.session.add(user)
        db.session.commit()
        return user.sub


def test_users_list_and_show(runner, alice):
    result = runner.invoke(args=["users", "list", "--json"])
    assert result.exit_code == 0, result.output
    (listed,) = json.loads(result.stdout)
    assert listed["sub"] == alice
    assert listed["identities"] == [
        {"connection": "email", "value": "alice@example.com", "verified": True}
    ]
    assert listed["blocked"] is False
    assert listed["last_login"] is None and listed["created"]

    assert "alice@example.com" in runner.invoke(args=["users", "list"]).output
    for key in (alice, "alice@example.com", "Alice@Example.com"):
        result = runner.invoke(args=["users", "show", key])
        assert result.exit_code == 0, result.output
        assert alice in result.output


def test_users_block_and_unblock(runner, app, alice):
    result = runner.invoke(args=["users", "block", "alice@example.com"])
    assert result.exit_code == 0, result.output
    assert "blocked" in result.output
    with app.app_context():
        assert db.session.execute(select(User)).scalar_one().blocked is True
        types = db.session.execute(select(Event.type)).scalars().all()
        assert "admin.user_blocked" in types
    assert json.loads(runner.invoke(args=["users", "show", alice, "--json"]).stdout)["blocked"]

    result = runner.invoke(args=["users", "unblock", alice])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.execute(select(User)).scalar_one().blocked is False


@pytest.mark.parametrize("command", ["show", "block", "unblock"])
def test_unknown_user_is_a_clear_error(runner, command):
    refused(runner.invoke(args=["users", command, "nobody@example.com"]), "No user")


# keys


def test_keys_rotate_keeps_the_old_key_published(runner, app):
    with app.app_context():
        old_kid = keys.current().kid

    result = runner.invoke(args=["keys", "rotate"])

    assert result.exit_code == 0, result.output
    new_kid = result.stdout.strip()
    assert new_kid and new_kid != old_kid
    with app.app_context():
        kids = [k["kid"] for k in keys.jwks()["keys"]]
        assert keys.current().kid == new_kid
    assert set(kids) == {old_kid, new_kid}

    listed = json.loads(runner.invoke(args=["keys", "list", "--json"]).stdout)
    assert [(k["kid"], k["status"]) for k in listed] == [
        (new_kid, "current"),
        (old_kid, "published"),
    ]
    assert "PRIVATE" not in runner.invoke(args=["keys", "list"]).output


# demo


def test_demo_setup_registers_then_refreshes(runner, app):
    first = runner.invoke(args=["demo", "setup"])
    second = runner.invoke(args=["demo", "setup"])

    assert first.exit_code == 0, first.output
    assert "Registered the demo client" in first.output
    assert "https://latchkey.test/demo/callback" in first.output
    assert "Registered the demo client 'Planner' (demo-spa)" in first.output
    assert "https://latchkey.test/demo/spa/" in first.output
    assert second.exit_code == 0, second.output
    assert "Refreshed the demo client" in second.output
    assert "auth0.js embedded: /demo/auth0js (its app: demo-auth0js)" in second.output
    assert "embedded Lock: /demo/lock/ (its app: demo-lock)" in second.output
    with app.app_context():
        ids = sorted(c.client_id for c in db.session.scalars(select(Client)))
        assert ids == [
            "demo",
            "demo-auth0js",
            "demo-auth0js-custom",
            "demo-lock",
            "demo-lock-classic",
            "demo-spa",
        ]
        spa = db.session.scalars(select(Client).filter_by(client_id="demo-auth0js")).one()
        assert spa.client_type == "spa" and spa.web_origins == ["https://latchkey.test"]
        assert spa.redirect_uris == ["https://latchkey.test/demo/auth0js"]
        lock = db.session.scalars(select(Client).filter_by(client_id="demo-lock")).one()
        assert lock.client_type == "spa" and lock.web_origins == ["https://latchkey.test"]
        assert lock.redirect_uris == ["https://latchkey.test/demo/lock/callback"]
        spa = db.session.scalars(select(Client).filter_by(client_id="demo-spa")).one()
        assert spa.client_type == "spa" and spa.web_origins == ["https://latchkey.test"]


# clients … --initiate-login-uri


def test_initiate_login_uri_is_set_changed_and_cleared(runner, app):
    data = create_shop(runner, "--initiate-login-uri", "https://shop.example.com/login")
    assert data["initiate_login_uri"] == "https://shop.example.com/login"

    client_id = data["client_id"]
    changed = runner.invoke(
        args=["clients", "update", client_id, "--initiate-login-uri", "http://127.0.0.1:8000/in"]
    )
    assert changed.exit_code == 0, changed.output
    assert "http://127.0.0.1:8000/in" in changed.output

    cleared = runner.invoke(
        args=["clients", "update", client_id, "--clear-initiate-login-uri", "--json"]
    )
    assert json.loads(cleared.output)["initiate_login_uri"] is None


@pytest.mark.parametrize(
    "uri, says",
    [
        ("http://shop.example.com/login", "must use https"),
        ("ftp://shop.example.com/login", "must start with https://"),
        ("https://shop.example.com/login#x", "must not contain a fragment"),
        ("/login", "absolute URL"),
    ],
)
def test_bad_initiate_login_uris_are_refused(runner, app, uri, says):
    refused(
        runner.invoke(
            args=[
                "clients",
                "create",
                "--name",
                "Shop",
                "--callback",
                SHOP_CALLBACK,
                "--initiate-login-uri",
                uri,
            ]
        ),
        says,
    )
    with app.app_context():
        assert db.session.scalars(select(Client)).all() == []


# clients … --cross-origin-loc


def test_cross_origin_loc_is_set_changed_and_cleared(runner, app):
    data = create_shop(runner, "--cross-origin-loc", "https://shop.example.com/co.html")
    assert data["cross_origin_loc"] == "https://shop.example.com/co.html"
    client_id = data["client_id"]

    changed = runner.invoke(
        args=["clients", "update", client_id, "--cross-origin-loc", "http://127.0.0.1:8000/co"]
    )
    cleared = runner.invoke(
        args=["clients", "update", client_id, "--cross-origin-loc", "", "--json"]
    )
    bad = runner.invoke(args=["clients", "update", client_id, "--cross-origin-loc", "ftp://x/y"])

    assert changed.exit_code == 0, changed.output
    assert "http://127.0.0.1:8000/co" in changed.output
    assert json.loads(cleared.output)["cross_origin_loc"] is None
    refused(bad, "must start with https://")


def test_parallel_first_uses_of_a_connection_do_not_collide(app):
    """Connection rows are made on first use; many requests at once must all get it."""
    import threading

    got, failed = [], []
    gate = threading.Barrier(8)

    def first_use():
        with app.app_context():
            gate.wait(timeout=10)
            try:
                got.append(get_connection("sms").code_length)
                db.session.commit()
            except Exception as error:  # noqa: BLE001 - the test reports any failure
                failed.append(repr(error))

    threads = [threading.Thread(target=first_use) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert failed == []
    assert got == [6] * 8
