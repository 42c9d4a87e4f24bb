"""Safe at rest: sealed signing keys with rotation, sent messages without their content,
the dev outbox only in debug and testing, one line at start for each refusal."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from cryptography.fernet import Fernet
from flask_migrate import downgrade, upgrade
from freezegun import freeze_time
from helpers import LoginPage, RelyingApp, signed_in_code
from sqlalchemy import text

from app import at_rest, create_app
from app.config import ConfigError
from app.delivery import dispatcher
from app.extensions import db
from app.models import OutboxMessage
from app.oidc import keys

OLD_KEY, NEW_KEY = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def stored_pems(app) -> list[str]:
    """What the signing_keys table really holds, read with plain SQL."""
    with app.app_context():
        return list(db.session.execute(text("SELECT private_pem FROM signing_keys")).scalars())


def signs(app) -> str:
    """Sign with the current key from a cold cache (as a fresh process would)."""
    keys._parsed.cache_clear()
    with app.app_context():
        return keys.private_jwk(keys.current()).as_dict(private=False)["n"]


def test_signing_keys_are_sealed_in_the_table(make_app):
    app = make_app(KEY_ENCRYPTION_KEYS=OLD_KEY)
    modulus = signs(app)
    [stored] = stored_pems(app)
    assert "PRIVATE KEY" not in stored and "-----BEGIN" not in stored
    assert at_rest.is_sealed(stored)
    assert Fernet(OLD_KEY).decrypt(stored.encode()).startswith(b"-----BEGIN PRIVATE KEY")
    with app.app_context():
        assert keys.jwks()["keys"][0]["n"] == modulus


def test_apps_in_one_process_each_open_only_their_own_sealed_key(make_app, tmp_path):
    """The signing keys a process has used are kept per app: an app never reuses
    another's copy of the same key (the same kid, sealed under another key-encryption
    key), even when the parsed keys are gone (as in a fresh process)."""
    for number, kek in enumerate((OLD_KEY, NEW_KEY, OLD_KEY)):
        uri = f"sqlite:///{tmp_path / f'own-{number}.sqlite'}"
        app = make_app(SQLALCHEMY_DATABASE_URI=uri, KEY_ENCRYPTION_KEYS=kek)
        relying = RelyingApp.register(app)
        http = app.test_client()
        keys._parsed.cache_clear()

        exchanged = relying.exchange(http, signed_in_code(http, relying, "pat@example.com"))

        assert exchanged.status_code == 200, exchanged.get_json()
        assert exchanged.get_json()["id_token"]


def test_rotation_reencrypt_then_drop_the_old_key(make_app, tmp_path):
    path = tmp_path / "shared.sqlite"
    uri = f"sqlite:///{path}"
    old = make_app(SQLALCHEMY_DATABASE_URI=uri, KEY_ENCRYPTION_KEYS=OLD_KEY)
    modulus = signs(old)

    both = make_app(SQLALCHEMY_DATABASE_URI=uri, KEY_ENCRYPTION_KEYS=f"{NEW_KEY},{OLD_KEY}")
    assert signs(both) == modulus  # the old key still opens what it sealed
    result = both.test_cli_runner().invoke(args=["keys", "reencrypt"])
    assert result.exit_code == 0, result.output
    assert "Sealed 1 signing keys" in result.output
    [stored] = stored_pems(both)
    Fernet(NEW_KEY).decrypt(stored.encode())  # sealed under the new key now

    new_only = make_app(SQLALCHEMY_DATABASE_URI=uri, KEY_ENCRYPTION_KEYS=NEW_KEY)
    assert signs(new_only) == modulus
    old_only = make_app(SQLALCHEMY_DATABASE_URI=uri, KEY_ENCRYPTION_KEYS=OLD_KEY)
    with pytest.raises(at_rest.SealError):
        signs(old_only)
    refused = old_only.test_cli_runner().invoke(args=["keys", "reencrypt"])
    assert refused.exit_code == 1
    assert refused.output.strip() == (
        "Error: sealed with a key that is not in FLASK_KEY_ENCRYPTION_KEYS; nothing was changed."
    )


def test_keys_sealed_under_a_key_no_longer_configured_answer_503_and_log_what_to_do(
    make_app, tmp_path, caplog
):
    uri = f"sqlite:///{tmp_path / 'moved.sqlite'}"
    make_app(SQLALCHEMY_DATABASE_URI=uri, KEY_ENCRYPTION_KEYS=OLD_KEY)  # seals the key
    moved = make_app(SQLALCHEMY_DATABASE_URI=uri, KEY_ENCRYPTION_KEYS=NEW_KEY)

    response = moved.test_client().get("/.well-known/jwks.json")

    assert response.status_code == 503
    assert response.get_json()["error"] == "temporarily_unavailable"
    said = " ".join(record.getMessage() for record in caplog.records)
    assert "not in FLASK_KEY_ENCRYPTION_KEYS" in said and "flask keys reencrypt" in said
    assert "Traceback" not in caplog.text and OLD_KEY not in caplog.text


def test_new_encryption_key_prints_a_fernet_key(runner):
    result = runner.invoke(args=["keys", "new-encryption-key"])
    assert result.exit_code == 0
    Fernet(result.output.strip())


def test_the_migration_seals_existing_plain_keys_and_downgrade_opens_them(tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "k",
            "ISSUER": "https://latchkey.test",
            "KEY_ENCRYPTION_KEYS": OLD_KEY,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'old.sqlite'}",
        }
    )
    pem = "-----BEGIN PRIVATE KEY-----\nMIIplain\n-----END PRIVATE KEY-----\n"
    with app.app_context():
        upgrade(revision="4a88845d5dcb")
        db.session.execute(
            text("INSERT INTO signing_keys (kid, private_pem, created_at) VALUES ('k1', :p, :t)"),
            {"p": pem, "t": "2030-01-01 00:00:00"},
        )
        db.session.commit()
        upgrade()
        [sealed] = db.session.execute(text("SELECT private_pem FROM signing_keys")).scalars()
        assert Fernet(OLD_KEY).decrypt(sealed.encode()).decode() == pem
        downgrade(revision="4a88845d5dcb")
        [plain] = db.session.execute(text("SELECT private_pem FROM signing_keys")).scalars()
        assert plain == pem
        db.engine.dispose()


# --- Start-up ---------------------------------------------------------------------


PRODUCTION = {"SECRET_KEY": "s" * 32, "ISSUER": "https://id.example"}


def production_app(monkeypatch, tmp_path, **config):
    for key in ("FLASK_DEBUG", "FLASK_KEY_ENCRYPTION_KEYS", "FLASK_DEV_OUTBOX"):
        monkeypatch.delenv(key, raising=False)
    uri = f"sqlite:///{tmp_path / 'p.sqlite'}"
    return create_app({**PRODUCTION, "SQLALCHEMY_DATABASE_URI": uri, **config})


@pytest.mark.parametrize(
    ("config", "says"),
    [
        ({}, "Latchkey needs FLASK_KEY_ENCRYPTION_KEYS (Fernet keys, comma-separated)"),
        ({"KEY_ENCRYPTION_KEYS": "not-a-key"}, "FLASK_KEY_ENCRYPTION_KEYS: key 1 is not"),
        ({"KEY_ENCRYPTION_KEYS": f"{NEW_KEY}, short"}, "FLASK_KEY_ENCRYPTION_KEYS: key 2 is not"),
        (
            {"KEY_ENCRYPTION_KEYS": NEW_KEY, "DEV_OUTBOX": "true"},
            "FLASK_DEV_OUTBOX publishes every code and link: it runs only in debug or testing.",
        ),
    ],
)
def test_production_refuses_missing_keys_and_the_dev_outbox(monkeypatch, tmp_path, config, says):
    with pytest.raises(ConfigError) as refused:
        production_app(monkeypatch, tmp_path, **config)
    assert says in str(refused.value)
    assert "\n" not in str(refused.value)


def test_production_starts_with_keys_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("FLASK_KEY_ENCRYPTION_KEYS", f"{NEW_KEY},{OLD_KEY}")
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    uri = f"sqlite:///{tmp_path / 'p.sqlite'}"
    app = create_app({**PRODUCTION, "SQLALCHEMY_DATABASE_URI": uri})
    assert app.config["KEY_ENCRYPTION_KEYS"] == [NEW_KEY, OLD_KEY]
    assert "dev.outbox" not in app.view_functions


# --- A sent message keeps no readable content --------------------------------------


def test_sent_message_loses_its_content_and_resend_still_sends_the_same_code(make_app, smtp_server):
    app = make_app(**smtp_server.mail_config())
    relying_app = RelyingApp.register(app)
    person = LoginPage(app.test_client())
    with freeze_time("2030-01-01 12:00:00") as clock:
        person.open_authorize(**relying_app.authorize_params())
        person.submit_email("kept@example.com")
        person.open_code_page()
        with app.app_context():
            assert dispatcher.dispatch_due() == 1
            [row] = db.session.scalars(db.select(OutboxMessage)).all()
            assert (row.subject, row.body_text, row.body_html) == ("", "", "")
            assert row.sealed_content and at_rest.is_sealed(row.sealed_content)
            assert (row.status, row.recipient, row.provider) == ("sent", "kept@example.com", "smtp")
            assert row.sent_at is not None
            assert row.provider_message_id == smtp_server.messages[0]["Message-ID"]
        first_code = re.search(r"\b(\d{6})\b", smtp_server.messages[0]["Subject"]).group(1)
        assert first_code not in dump_outbox(app)

        assert person.resend().status_code == 303
        with app.app_context():
            assert dispatcher.dispatch_due() == 1
        second_code = re.search(r"\b(\d{6})\b", smtp_server.messages[1]["Subject"]).group(1)
        assert second_code == first_code

        clock.tick(timedelta(minutes=6))  # the ticket ends: the sealed copies go too
        with app.app_context():
            dispatcher.dispatch_due()
            rows = db.session.scalars(db.select(OutboxMessage)).all()
            assert [(r.sealed_content, r.subject, r.body_text) for r in rows] == [
                (None, "", "")
            ] * 2
            assert [r.recipient for r in rows] == ["k***@e***.com"] * 2
            assert [r.status for r in rows] == ["sent", "sent"]


def dump_outbox(app) -> str:
    """Every column of every outbox row, as text (what a database dump would show)."""
    with app.app_context():
        rows = db.session.execute(text("SELECT * FROM outbox_messages")).all()
    return " ".join(str(value) for row in rows for value in row)


def test_reencrypt_also_seals_sent_messages_under_the_newest_key(make_app, tmp_path):
    from app.delivery import outbox
    from app.messages.rendering import RenderedEmail
    from app.models import LoginTicket, utcnow

    uri = f"sqlite:///{tmp_path / 'messages.sqlite'}"
    old = make_app(SQLALCHEMY_DATABASE_URI=uri, KEY_ENCRYPTION_KEYS=OLD_KEY)
    with old.app_context():
        ticket = LoginTicket(
            connection="email",
            recipient="r@example.com",
            code_hash="0" * 64,
            binding_hash="1" * 64,
            expires_at=utcnow() + timedelta(minutes=5),
        )
        db.session.add(ticket)
        db.session.flush()
        content = RenderedEmail(subject="123456 is your code", text="Code: 123456", html="")
        row = outbox.enqueue("email", "r@example.com", content, ticket_id=ticket.id)
        row.provider, row.status = "smtp", "sent"
        outbox.forget_sent_content(row)
        db.session.commit()
        message_id = row.id

    both = make_app(SQLALCHEMY_DATABASE_URI=uri, KEY_ENCRYPTION_KEYS=f"{NEW_KEY},{OLD_KEY}")
    result = both.test_cli_runner().invoke(args=["keys", "reencrypt"])
    # The tests' shared signing key (tests/conftest.py) is in the database too.
    assert result.output.strip() == "Sealed 1 signing keys and 1 messages under the newest key."

    new_only = make_app(SQLALCHEMY_DATABASE_URI=uri, KEY_ENCRYPTION_KEYS=NEW_KEY)
    with new_only.app_context():
        row = db.session.get(OutboxMessage, message_id)
        assert (row.subject, row.body_text) == ("", "")
        assert outbox.content_of(row).subject == "123456 is your code"
