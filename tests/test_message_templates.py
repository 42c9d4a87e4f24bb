"""Message templates per language and connection: defaults, refusals, the templates CLI."""

from __future__ import annotations

import pytest

from app.messages import overrides as rules
from app.messages.rendering import render_email

CODE = "428913"
HOSTILE = '<script>alert("x")</script>'


def variables(language: str, **changes):
    data = rules.sample_variables(language)
    data.update(changes)
    return data


@pytest.mark.parametrize("language", rules.LANGUAGES)
def test_default_code_email_in_every_language(app, language):
    email = render_email("email_code", None, language=language, **variables(language))
    assert CODE in email.subject and "Acme Notes" in email.subject
    assert CODE in email.text and CODE in email.html
    assert f'<html lang="{language}">' in email.html
    assert "alice@example.com" in email.text
    english = render_email("email_code", None, language="en", **variables("en"))
    if language != "en":
        assert email.subject != english.subject
        assert email.text != english.text
    with app.app_context():
        for part in ("subject", "text", "html"):
            source = rules.source_in_force("email", "email_code", part, language)
            assert language in source.origin or language == "en"
            rules.check_source(source.source, part)  # the defaults pass their own check


@pytest.mark.parametrize("language", rules.LANGUAGES)
def test_hostile_app_name_is_escaped_in_html_in_every_language(language):
    email = render_email(
        "email_code", None, language=language, **variables(language, application={"name": HOSTILE})
    )
    assert "<script>" not in email.html
    assert "&lt;script&gt;" in email.html
    assert "\n" not in email.subject


@pytest.mark.parametrize(
    "source, where, why",
    [
        ("Hello {{ user.emial }}", "line 1, column 10", "Unknown variable 'user.emial'"),
        ("Line one\n  {{ secret_key }}", "line 2, column 6", "Unknown variable 'secret_key'"),
        ("{% if code %}\nno end", "line 2, column 7", "expected tag endif"),
        ("ok\n{{ code | shout }}", "line 2, column 11", "Unknown filter 'shout'"),
        ("x\n\n{% nosuchtag %}", "line 3, column 4", "unexpected tag 'nosuchtag'"),
        ("{{ code }", "line 1, column 1", "expected '}}'"),
    ],
)
def test_broken_templates_are_refused_with_line_and_column(source, where, why):
    with pytest.raises(rules.TemplateRejected) as refused:
        rules.check_source(source, "html")
    assert str(refused.value).startswith(where)
    assert why in str(refused.value)


@pytest.mark.parametrize(
    "source",
    [
        "{{ code }} {{ password }} {{ link }} {{ send }} {{ request_language }}",
        "{{ application.name }} {{ application.clientID }} {{ application.logo_url }}",
        "{{ connection.name }} {{ user.email }} {{ phone_number }} {{ expires_in_minutes }}",
        "{% assign n = application.name | upcase %}{{ n }}",
    ],
)
def test_every_documented_variable_is_accepted(source):
    rules.check_source(source, "text")


def run(runner, *args, input=None):
    return runner.invoke(args=["templates", *args], input=input)


def test_set_show_preview_reset(app, runner, tmp_path):
    path = tmp_path / "email_code.subject.liquid"
    path.write_text("{{ code }} — ¡hola {{ user.email }}!", encoding="utf-8")
    result = run(runner, "set", "email_code", str(path), "--language", "es")
    assert result.exit_code == 0, result.output
    assert "Set email_code.subject (es)" in result.output

    shown = run(runner, "show", "email_code", "--language", "es", "--part", "subject")
    assert "from connection email (es)" in shown.output
    assert "¡hola {{ user.email }}!" in shown.output

    preview = run(runner, "preview", "email_code", "--language", "es")
    assert f"Subject: {CODE} — ¡hola alice@example.com!" in preview.output
    assert "Escríbelo en la ventana" in preview.output  # the Spanish file for the text

    english = run(runner, "preview", "email_code")
    assert f"Subject: {CODE} is your code for Acme Notes" in english.output

    reset = run(runner, "reset", "email_code", "--language", "es")
    assert "Reset email_code (es)" in reset.output
    shown = run(runner, "show", "email_code", "--language", "es", "--part", "subject")
    assert "templates/messages/es/email_code.subject.liquid" in shown.output
    again = run(runner, "reset", "email_code", "--language", "es")
    assert "had no override" in again.output


def test_set_from_stdin_with_part(runner):
    result = run(
        runner, "set", "email_code", "-", "--part", "html", "-l", "pt-BR", input="<p>{{ code }}</p>"
    )
    assert result.exit_code == 0, result.output
    preview = run(runner, "preview", "email_code", "-l", "pt-BR", "--json")
    assert f"<p>{CODE}</p>" in preview.output


def test_broken_template_is_refused_and_nothing_is_stored(runner, tmp_path):
    path = tmp_path / "email_code.text.liquid"
    path.write_text("Hi\n{{ usr.email }}\n", encoding="utf-8")
    result = run(runner, "set", "email_code", str(path))
    assert result.exit_code == 1
    assert "line 2, column 4: Unknown variable 'usr'" in result.output, result.output
    shown = run(runner, "show", "email_code", "--part", "text")
    assert "templates/messages/email_code.text.liquid" in shown.output


@pytest.mark.parametrize(
    "args, message",
    [
        (["--language", "xx"], "Unknown language 'xx'"),
        (["--part", "body"], "email_code has no 'body' part"),
    ],
)
def test_bad_names_are_refused(runner, tmp_path, args, message):
    path = tmp_path / "x.liquid"
    path.write_text("{{ code }}", encoding="utf-8")
    result = run(runner, "set", "email_code", str(path), "--part", "subject", *args)
    assert result.exit_code == 1
    assert message in result.output


def test_unknown_template_and_list(runner, tmp_path):
    path = tmp_path / "x.subject.liquid"
    path.write_text("{{ code }}", encoding="utf-8")
    assert "Unknown template 'nope'" in run(runner, "set", "nope", str(path)).output
    listed = run(runner, "list").output
    assert "email_code: subject, text, html" in listed
    assert "application.clientID" in listed and "pt-BR" in listed


def test_stored_template_is_what_users_get(app, client):
    from helpers import LoginPage, RelyingApp, messages_to

    with app.app_context():
        rules.set_template(
            "email", "email_code", "subject", "fr", "Code {{ code }} pour {{ application.name }}"
        )
    relying_app = RelyingApp.register(app, name="Café")
    page = LoginPage(client)
    page.open_authorize(**relying_app.authorize_params(ui_locales="fr"))
    page.submit_email("zoe@example.com")
    (message,) = messages_to(app, "zoe@example.com")
    assert message.subject == f"Code {message.code} pour Café"


@pytest.mark.parametrize("language", rules.LANGUAGES)
def test_default_link_email_in_every_language(app, language):
    link = "https://latchkey.example/login/link/tok"
    email = render_email(
        "email_link", None, language=language, **variables(language, link=link, send="link")
    )
    assert "Acme Notes" in email.subject and CODE not in email.subject
    assert link in email.text and f'href="{link}"' in email.html
    assert CODE in email.text and CODE in email.html  # the code for another device
    assert f'<html lang="{language}">' in email.html
    hostile = render_email(
        "email_link", None, language=language, **variables(language, application={"name": HOSTILE})
    )
    assert "<script>" not in hostile.html


@pytest.mark.parametrize("language", rules.LANGUAGES)
def test_default_sms_in_every_language(app, language):
    with app.app_context():
        text = rules.preview(None, "sms_code", language).text
    assert CODE in text and "Acme Notes" in text
    assert text.strip().splitlines()[-1] == f"@latchkey.example #{CODE}"  # WebOTP autofill
    if language != "en":
        with app.app_context():
            assert text != rules.preview(None, "sms_code", "en").text


def test_sms_template_through_the_cli(runner):
    result = run(
        runner, "set", "sms_code", "-", "--part", "text", "-l", "nl", input="Code {{ code }}"
    )
    assert result.exit_code == 0, result.output
    assert "on the sms connection" in result.output
    assert run(runner, "preview", "sms_code", "-l", "nl").output.strip() == f"Code {CODE}"
    refused = run(runner, "set", "sms_code", "-", "--part", "html", input="{{ code }}")
    assert refused.exit_code == 1 and "sms_code has no 'html' part" in refused.output
