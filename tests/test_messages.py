"""Message templates: the default code email, escaping, overrides per connection and language."""

from __future__ import annotations

import logging

import pytest

from app.messages.rendering import MessageTemplateError, RenderedEmail, render_email
from app.models import Connection

CODE = "731904"


def code_email(connection=None, *, language="en", name="Acme Notes", **overrides):
    variables = {
        "code": CODE,
        "application": {"name": name, "clientID": "client-1", "logo_url": None},
        "connection": {"name": "email"},
        "user": {"email": "alice@example.com"},
        "send": "code",
        "request_language": language,
        "expires_in_minutes": 5,
    }
    variables.update(overrides)
    return render_email("email_code", connection, language=language, **variables)


def test_default_code_email():
    email = code_email()
    assert isinstance(email, RenderedEmail)
    assert CODE in email.subject and "Acme Notes" in email.subject
    assert len(email.subject) < 80
    assert CODE in email.text
    assert "5 minutes" in email.text
    assert "didn't ask for this, ignore this email" in email.text
    assert CODE in email.html
    assert "5 minutes" in email.html
    assert "didn't ask for this, ignore this email" in email.html
    assert '<meta name="color-scheme" content="light dark">' in email.html
    assert "prefers-color-scheme: dark" in email.html
    assert "monospace" in email.html


def test_frozen():
    email = code_email()
    with pytest.raises(AttributeError):
        email.subject = "changed"


def test_one_minute_is_singular():
    email = code_email(expires_in_minutes=1)
    assert "1 minute " in email.text
    assert "1 minutes" not in email.html


def test_html_part_escapes_the_application_name():
    email = code_email(name="<script>alert(1)</script>")
    assert "<script>" not in email.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in email.html
    # The text part is plain text: nothing to escape, nothing to garble.
    assert "<script>alert(1)</script>" in email.text


@pytest.mark.parametrize("name", ["Evil\r\nBcc: victim@evil.test", "Evil\nX: y", "Evil\u2028X"])
def test_subject_is_one_line(name):
    subject = code_email(name=name).subject
    assert "\r" not in subject and "\n" not in subject and "\u2028" not in subject
    assert CODE in subject


def test_logo_only_from_a_web_url():
    https = code_email(application={"name": "A", "logo_url": "https://cdn.test/logo.png"})
    assert 'src="https://cdn.test/logo.png"' in https.html
    scripted = code_email(application={"name": "A", "logo_url": "javascript:alert(1)"})
    assert "javascript:" not in scripted.html


def test_password_is_an_alias_of_code():
    connection = Connection(
        name="email",
        templates={"en": {"email_code": {"subject": "Password: {{ password }}"}}},
    )
    assert code_email(connection).subject == f"Password: {CODE}"


def test_connection_override_replaces_only_its_parts():
    connection = Connection(
        name="email",
        templates={
            "en": {
                "email_code": {
                    "subject": "Sign in to {{ application.name }}",
                    "html": "<p>{{ application.name }}: <b>{{ code }}</b></p>",
                }
            }
        },
    )
    email = code_email(connection, name="<b>Acme</b>")
    assert email.subject == "Sign in to <b>Acme</b>"
    assert email.html == f"<p>&lt;b&gt;Acme&lt;/b&gt;: <b>{CODE}</b></p>"
    assert email == RenderedEmail(email.subject, code_email(name="<b>Acme</b>").text, email.html)


def test_override_in_the_asked_language_wins():
    connection = Connection(
        name="email",
        templates={
            "en": {"email_code": {"subject": "English {{ code }}"}},
            "fr": {"email_code": {"subject": "Votre code : {{ code }}"}},
        },
    )
    assert code_email(connection, language="fr").subject == f"Votre code : {CODE}"
    assert code_email(connection, language="fr-CA").subject == f"Votre code : {CODE}"
    # German has its own default file, which beats the English override.
    assert code_email(connection, language="de").subject == code_email(language="de").subject
    # A language with no file and no override: the English override.
    assert code_email(connection, language="sv").subject == f"English {CODE}"
    # No French text override: the French file.
    assert "Saisissez-le dans la fenêtre" in code_email(connection, language="fr").text


@pytest.mark.parametrize("language", ["../../etc/passwd", "", "x" * 50, "en\r\n"])
def test_malformed_language_falls_back_to_english(language):
    assert code_email(language=language) == code_email()


def test_broken_override_falls_back_to_the_file(caplog):
    connection = Connection(
        name="email", templates={"en": {"email_code": {"subject": "{% if code %}oops"}}}
    )
    with caplog.at_level(logging.WARNING, logger="app.messages.rendering"):
        email = code_email(connection)
    assert email.subject == code_email().subject
    assert "skipped" in caplog.text
    assert CODE not in caplog.text


def test_blank_or_odd_overrides_are_ignored():
    for templates in ({"en": {"email_code": {"subject": "  "}}}, {"en": "x"}, {"en": None}):
        connection = Connection(name="email", templates=templates)
        assert code_email(connection) == code_email()


@pytest.mark.parametrize("name", ["no_such_message", "../email_code", "Email_Code"])
def test_unknown_template(name):
    with pytest.raises(MessageTemplateError):
        render_email(name, None, code=CODE)
