"""The hosted page's first screen, kept per process and app look (app/web/page_cache.py),
and the inputs written without WTForms' widgets (app/web/inputs.py): the same bytes as
a full render, and a change to an app's branding or language shows at once."""

from __future__ import annotations

import re

import flask
import pytest
from helpers import RelyingApp
from markupsafe import Markup
from wtforms import Form, HiddenField, StringField
from wtforms.validators import DataRequired, Length

from app.extensions import db
from app.models import Client, OutboxMessage
from app.signin import tickets
from app.web import inputs, locale, login, page_cache, screens

CALLBACK = "https://app.example/cb"
LOOKS = {
    "plain": {},
    "branded": {
        "primary_color": "#ffd400",
        "background_color": "#112233",
        "logo_sha256": "ab" * 32,
    },
    "custom theme": {"theme": "custom", "name": 'Tom & Jerry\'s "<App>"'},
}


@pytest.fixture
def shop(app) -> RelyingApp:
    return RelyingApp.register(app, "regular", callbacks=(CALLBACK,))


def row(app, shop, **changes) -> Client:
    client = db.session.query(Client).filter_by(client_id=shop.client_id).one()
    for name, value in changes.items():
        setattr(client, name, value)
    db.session.commit()
    return client


@pytest.mark.parametrize("look", sorted(LOOKS))
@pytest.mark.parametrize("language", ["en", "fr", "ja"])
def test_the_kept_page_is_the_full_render_byte_for_byte(app, shop, look, language):
    authz = "signed.auth<\"&>'request"  # escaped the same way as the full render escapes it
    with app.test_request_context("/authorize", query_string={"ui_locales": language}):
        client = row(app, shop, **LOOKS[look])
        locale.use_for_page(language, None)
        kept = [page_cache.first_email_page(client, authz) for _ in range(2)]  # miss, hit
        full, status = login._show(screens.email(authz=authz), client)
    assert status == 200
    assert kept == [full, full]
    assert not any(marker in full for marker in page_cache.MARKERS.values())


def test_a_branding_change_shows_at_once(app, client, shop):
    def page() -> str:
        return client.get("/authorize", query_string=shop.authorize_params()).get_data(as_text=True)

    assert "--lk-primary" not in page()
    with app.app_context():
        row(app, shop, primary_color="#ffd400", name="Renamed Shop")
    html = page()
    assert "--lk-primary:#ffd400" in html and "Renamed Shop" in html
    with app.app_context():
        row(app, shop, primary_color="#0055aa")
    html = page()
    assert "--lk-primary:#0055aa" in html and "#ffd400" not in html


def test_each_view_gets_its_own_tokens(client, shop):
    def hidden(html: str, name: str) -> str:
        return re.search(rf'name="{name}" type="hidden" value="([^"]+)"', html)[1]

    first, second = (
        client.get("/authorize", query_string=shop.authorize_params(state=state)).get_data(
            as_text=True
        )
        for state in ("one", "two")
    )
    assert hidden(first, "authz") != hidden(second, "authz")
    assert not any(marker in first + second for marker in page_cache.MARKERS.values())


def test_a_theme_with_its_own_page_renders_it_in_full(app, shop):
    with app.test_request_context("/authorize"):
        client = row(app, shop, theme="lock-classic")
        assert page_cache.first_email_page(client, "authz") is None


class Sample(Form):
    email = StringField("Email")
    code = StringField("Code", validators=[DataRequired(), Length(max=6)])
    authz = HiddenField()


ATTRIBUTES = [
    {},
    {"class_": "lk-input", "type": "email", "autofocus": True, "required": True, "maxlength": 320},
    {"aria_invalid": "true", "aria_describedby": "lk-error", "data_x_y": 1, "hidden": False},
    {"placeholder": "<\"quoted\" & 'single'>", "value": ""},
    {"placeholder": Markup('a "b" <i>c</i>'), "id": "other", "spellcheck": "false"},
]


@pytest.mark.parametrize("field_name", ["email", "code", "authz"])
@pytest.mark.parametrize("attributes", ATTRIBUTES)
@pytest.mark.parametrize("data", [None, "", 'x"<y>&z'])
def test_inputs_are_written_as_wtforms_writes_them(field_name, attributes, data):
    field = Sample()[field_name]
    field.data = data
    assert inputs.renders_fast(field)
    assert inputs.render_input(field, attributes) == field.widget(field, **attributes)


def test_each_language_gets_its_own_page(client, shop):
    def title(language: str) -> str:
        query = shop.authorize_params(ui_locales=language)
        html = client.get("/authorize", query_string=query).get_data(as_text=True)
        return re.search(r'<html lang="([^"]+)">.*?<title>([^<]+)</title>', html, re.S).groups()

    english, french, again = title("en"), title("fr"), title("en")
    assert english[0] == "en" and french[0] == "fr"
    assert english[1] != french[1] and again == english


MESSAGE = {
    "sending": {},
    "sent": {"status": "sent"},
    "delayed": {"status": "pending", "tries": 1, "last_error": "SMTPConnectError"},
    "failed": {"status": "failed", "last_error": "recipient refused: 550"},
}


@pytest.mark.parametrize("state", sorted(MESSAGE))
@pytest.mark.parametrize("look", sorted(LOOKS))
@pytest.mark.parametrize("language", ["en", "de"])
def test_the_kept_code_page_is_the_full_render_byte_for_byte(
    app, shop, monkeypatch, state, look, language
):
    recipient = "o'brien+<x>@example.com"
    with app.test_request_context("/login/code/x"):
        client = row(app, shop, connections=["email", "sms"], **LOOKS[look])
        ticket = tickets.start(
            "email",
            recipient,
            client=client,
            authorize_params=shop.authorize_params(ui_locales=language),
            binding_value="b" * 43,
        )
        if MESSAGE[state]:
            db.session.query(OutboxMessage).filter_by(ticket_id=ticket.id).update(MESSAGE[state])
            db.session.commit()
        kept = [login._code_page(ticket) for _ in range(2)]  # miss, hit
        monkeypatch.setattr(page_cache, "code_page", lambda *args: None)
        full = login._code_page(ticket)
    assert kept == [full, full]
    assert recipient not in full[0] and "o&#39;brien+&lt;x&gt;@example.com" in full[0]
    assert not any(marker in full[0] for marker in page_cache.MARKERS.values())


def test_with_csrf_off_the_kept_page_has_no_token_and_sets_no_session(make_app):
    app = make_app(WTF_CSRF_ENABLED=False)
    shop = RelyingApp.register(app, "regular", callbacks=(CALLBACK,))
    with app.test_request_context("/authorize"):
        client = row(app, shop)
        kept = [page_cache.first_email_page(client, "authz") for _ in range(2)]
        full, _ = login._show(screens.email(authz="authz"), client)
        assert "csrf_token" not in flask.session
    assert kept == [full, full] and "csrf_token" not in full
