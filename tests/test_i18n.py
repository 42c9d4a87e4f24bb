"""Page languages: negotiation, the language of the code email, and complete catalogs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from helpers import LoginPage, RelyingApp, messages_to, visible_text, wrong_code_for

from app.accounts.clients import find_client, update_client
from app.i18n import LANGUAGES, best_language

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    "tags, expected",
    [
        (["es"], "es"),
        (["es-MX"], "es"),
        (["pt-BR"], "pt_BR"),
        (["pt_br"], "pt_BR"),
        (["pt-PT"], "pt_BR"),
        (["sv", "de-AT"], "de"),
        (["JA"], "ja"),
        (["sv", "fi"], None),
        (["../../etc", "<script>", "", None, "x" * 40], None),
    ],
)
def test_best_language(tags, expected):
    assert best_language(tags) == expected


@pytest.fixture
def relying_app(app):
    return RelyingApp.register(app)


def email_page(client, relying_app, headers=None, **params):
    response = client.get(
        "/authorize", query_string=relying_app.authorize_params(**params), headers=headers or {}
    )
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_english_by_default(client, relying_app):
    html = email_page(client, relying_app)
    assert '<html lang="en">' in html
    assert "Enter your email to sign in or sign up." in html


def test_accept_language_picks_the_page_language(client, relying_app):
    html = email_page(client, relying_app, {"Accept-Language": "sv, fr-CA;q=0.9, en;q=0.5"})
    assert '<html lang="fr">' in html
    assert "Saisissez votre e-mail pour vous connecter ou vous inscrire." in html


def test_ui_locales_beats_accept_language(client, relying_app):
    html = email_page(client, relying_app, {"Accept-Language": "fr"}, ui_locales="xx pt-BR")
    assert '<html lang="pt-BR">' in html
    assert "Digite seu e-mail para entrar ou se cadastrar." in html


def test_client_default_language_when_nothing_else_asks(app, client, relying_app):
    with app.app_context():
        update_client(find_client(relying_app.client_id), default_language="de")
    html = email_page(client, relying_app)
    assert "Gib deine E-Mail-Adresse ein" in html
    assert "Continuer" not in email_page(client, relying_app, {"Accept-Language": "ja"})
    assert "続行" in email_page(client, relying_app, {"Accept-Language": "ja"})


def test_x_request_language_header(client, relying_app):
    html = email_page(client, relying_app, {"x-request-language": "it", "Accept-Language": "fr"})
    assert '<html lang="it">' in html


def test_the_whole_sign_in_keeps_ui_locales_and_the_email_follows(app, client, relying_app):
    page = LoginPage(client)
    page.open_authorize(**relying_app.authorize_params(ui_locales="es"))
    page.submit_email("ana@example.com")
    page.open_code_page()
    assert "Revisa tu correo" in page.page  # the ticket carried ui_locales
    (message,) = messages_to(app, "ana@example.com")
    assert message.subject.endswith("es tu código para Example App")
    assert "Escríbelo en la ventana donde pediste iniciar sesión" in message.text

    wrong = page.enter_code(wrong_code_for(page.read_code("ana@example.com")))
    assert wrong.status_code == 400
    assert "Ese código no es correcto. Te quedan 2 intentos." in visible_text(page.page)


def test_error_pages_are_translated(client):
    response = client.get("/no-such-page", headers={"Accept-Language": "nl"})
    assert response.status_code == 404
    assert "Pagina niet gevonden" in response.get_data(as_text=True)


def test_invalid_email_message_is_translated(client, relying_app):
    page = LoginPage(client)
    page.open_authorize(**relying_app.authorize_params(ui_locales="fr"))
    response = page.submit_email("not an address")
    assert response.status_code == 400
    assert "Cela ne ressemble pas à une adresse e-mail." in page.page


def test_every_language_has_a_catalog_and_a_default_message():
    for language in LANGUAGES:
        if language != "en":
            assert (ROOT / "translations" / language / "LC_MESSAGES" / "messages.po").is_file()
            tag = language.replace("_", "-")
            for part in ("subject", "text", "html"):
                assert (ROOT / "templates/messages" / tag / f"email_code.{part}.liquid").is_file()


def extracted_messages(tmp_path: Path) -> set[str]:
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            str(Path(sys.executable).parent / "pybabel"),
            "-q",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_ngettext:1,2",
            "--no-location",
            "-o",
            str(pot),
            ".",
        ],
        cwd=ROOT,
        check=True,
    )
    with pot.open("rb") as handle:
        return {_key(message.id) for message in read_po(handle) if message.id}


def _key(message_id) -> str:
    return message_id[0] if isinstance(message_id, tuple) else message_id


@pytest.mark.parametrize("language", [code for code in LANGUAGES if code != "en"])
def test_catalog_is_complete_and_has_nothing_unused(language, tmp_path):
    """Fails when a page string is not translated, or a catalog keeps a dead string."""
    wanted = extracted_messages(tmp_path)
    path = ROOT / "translations" / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    have = {_key(m.id): m for m in catalog if m.id}
    assert sorted(wanted - set(have)) == [], f"missing from {language}"
    assert sorted(set(have) - wanted) == [], f"unused in {language}"
    untranslated = [
        key
        for key, message in have.items()
        if not (all(message.string) if isinstance(message.string, tuple) else message.string)
        or message.fuzzy
    ]
    assert untranslated == [], f"untranslated or fuzzy in {language}"
    assert [
        key
        for key, message in have.items()
        if _placeholders(key) != _placeholders(_first(message.string))
    ] == [], f"placeholders differ in {language}"


def _first(value) -> str:
    return value[0] if isinstance(value, tuple) else value


def _placeholders(text: str) -> set[str]:
    return set(re.findall(r"%\([a-z_]+\)[sd]", text or ""))


def test_compiled_catalogs_are_loaded(app):
    with app.test_request_context(headers={"Accept-Language": "ja"}):
        from flask_babel import gettext

        assert gettext("Continue") == "続行"


def test_discovery_lists_the_page_languages(client):
    document = client.get("/.well-known/openid-configuration").get_json()
    assert document["ui_locales_supported"] == ["en", "es", "fr", "de", "pt-BR", "it", "nl", "ja"]


def test_french_puts_a_no_break_space_before_colons_and_question_marks():
    """French typography: a space before « : ; ? ! », one that never breaks the line
    (so a colon is never left alone at the start of a line). Pages and messages."""
    import re

    from babel.messages.pofile import read_po

    bad = re.compile(r"(?<![\u00a0\u202f])[:;?!](?=\s|$|<|\{)")
    root = Path(__file__).resolve().parent.parent
    with open(root / "translations/fr/LC_MESSAGES/messages.po", "rb") as po:
        texts = [m.string for m in read_po(po) if m.id and isinstance(m.string, str)]
    for path in sorted((root / "templates/messages/fr").glob("*.liquid")):
        texts += re.sub(r"\{%.*?%\}|\{\{.*?\}\}", "", path.read_text("utf-8")).splitlines()
    wrong = [text for text in texts if bad.search(text)]
    assert wrong == []
