"""Post-login hooks: how they are found at start (entry points, dotted paths), the
claim-naming rule, and how their verdicts show through Auth0's OTP grant."""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

import pytest
from helpers import (
    LoginPage,
    RelyingApp,
    form_posting_to,
    messages_to,
    query_of,
    visible_text,
    wrong_code_for,
)
from hook_samples import ROLES
from joserfc import jwt
from joserfc.jwk import KeySet

from app.accounts import users
from app.accounts.connections import update_connection
from app.config import ConfigError
from app.extensions import db
from app.models import Event, Identity
from app.oidc.otp_grant import STEP_UP
from app.signin import hooks

EMAIL = "pat@example.com"
OTP = "http://auth0.com/oauth/grant-type/passwordless/otp"


@pytest.mark.parametrize(
    ("configured", "said"),
    [
        ("hook_samples:no_such_hook", "FLASK_POST_LOGIN_HOOKS: 'hook_samples:no_such_hook'"),
        ("no_such_module.hook", "FLASK_POST_LOGIN_HOOKS: 'no_such_module.hook' cannot be"),
        (
            "hook_samples:NOT_CALLABLE",
            "FLASK_POST_LOGIN_HOOKS: 'hook_samples:NOT_CALLABLE' is not callable",
        ),
    ],
)
def test_a_hook_that_cannot_be_loaded_stops_start_up(make_app, configured, said):
    with pytest.raises(ConfigError, match="^" + said.replace("(", r"\(")):
        make_app(POST_LOGIN_HOOKS=f"hook_samples:add_roles, {configured}")


@pytest.mark.parametrize("timeout", ["soon", 0, 61])
def test_the_timeout_is_a_few_seconds(make_app, timeout):
    with pytest.raises(ConfigError, match="FLASK_POST_LOGIN_HOOK_TIMEOUT"):
        make_app(POST_LOGIN_HOOK_TIMEOUT=timeout)


def test_paths_load_in_order_after_entry_points(make_app, tmp_path, monkeypatch):
    """A package that declares `latchkey.post_login` entry points (as pip installs one)."""
    (tmp_path / "acme_hooks.py").write_text(
        "def deny_all(login):\n    login.deny('Acme says no.')\n"
    )
    info = tmp_path / "acme_hooks-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-hooks\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[latchkey.post_login]\nacme = acme_hooks:deny_all\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    app = make_app(POST_LOGIN_HOOKS="hook_samples:add_roles,hook_samples:crash")
    names = [name for name, _ in app.extensions[hooks.EXTENSION_KEY]]
    assert names == ["acme", "hook_samples:add_roles", "hook_samples:crash"]

    (info / "entry_points.txt").write_text("[latchkey.post_login]\nacme = acme_hooks:gone\n")
    with pytest.raises(ConfigError, match="entry point 'acme' .*cannot be loaded"):
        make_app()


@pytest.mark.parametrize(
    "name",
    ["roles", "sub", "email", "amr", "urn:example:roles", "https:///roles", "", 7, "x" * 201],
)
def test_claims_must_be_namespaced_and_not_standard(name):
    with pytest.raises(ValueError):
        hooks.check_claim_name(name)


@pytest.mark.parametrize("name", [ROLES, "http://example.org/team", "https://id.example.com/x"])
def test_namespaced_claims_are_taken(name):
    hooks.check_claim_name(name)


def test_a_country_hint_is_two_letters_from_the_configured_header(make_app):
    app = make_app(POST_LOGIN_COUNTRY_HEADER="CF-IPCountry")
    with app.app_context():
        assert hooks.country_hint({"CF-IPCountry": " gb "}) == "GB"
        for hostile in ("XX1", "Ü1", "", "<s>", "T1"):
            assert hooks.country_hint({"CF-IPCountry": hostile}) is None
    with make_app().app_context():  # without the setting, no header is believed
        assert hooks.country_hint({"CF-IPCountry": "GB"}) is None


# --- Auth0's OTP grant --------------------------------------------------------------


def _otp_sign_in(app, client, shop: RelyingApp):
    started = client.post(
        "/passwordless/start",
        json={
            "client_id": shop.client_id,
            "client_secret": shop.secret,
            "connection": "email",
            "email": EMAIL,
            "send": "code",
        },
    )
    assert started.status_code == 200, started.get_data(as_text=True)
    return client.post(
        "/oauth/token",
        json={
            "grant_type": OTP,
            "client_id": shop.client_id,
            "client_secret": shop.secret,
            "username": EMAIL,
            "otp": messages_to(app, EMAIL)[-1].code,
            "realm": "email",
            "scope": "openid email",
        },
    )


def test_otp_grant_carries_the_hooks_claims(make_app):
    app = make_app(POST_LOGIN_HOOKS="hook_samples:add_roles")
    shop = RelyingApp.register(app)
    client = app.test_client()
    answer = _otp_sign_in(app, client, shop)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    keys = KeySet.import_key_set(client.get("/.well-known/jwks.json").get_json())
    claims = jwt.decode(answer.get_json()["id_token"], keys, algorithms=["RS256"]).claims
    assert claims[ROLES] == ["reader", shop.client_id] and claims["email"] == EMAIL
    headers = {"Authorization": f"Bearer {answer.get_json()['access_token']}"}
    assert client.get("/userinfo", headers=headers).get_json()[ROLES] == ["reader", shop.client_id]


@pytest.mark.parametrize(
    ("hook", "description"),
    [
        ("hook_samples:deny_everyone", "Ce service est fermé pour maintenance."),
        (
            "hook_samples:crash",
            "A check that runs after sign-in failed. Please try to login again.",
        ),
        ("hook_samples:always_step_up", STEP_UP),
    ],
)
def test_otp_grant_answers_a_refusal_as_auth0s_access_denied(make_app, hook, description):
    app = make_app(POST_LOGIN_HOOKS=hook)
    shop = RelyingApp.register(app)
    with app.app_context():  # a second channel exists, but this grant cannot ask for it
        user = users.create_with_identity("email", EMAIL)
        user.identities.append(Identity(connection="sms", value="+14155552671", verified=True))
        db.session.commit()
    answer = _otp_sign_in(app, app.test_client(), shop)
    assert answer.status_code == 403
    assert answer.get_json() == {"error": "access_denied", "error_description": description}
    with app.app_context():
        assert db.session.query(Event).filter_by(type="token.issued").count() == 0


# --- Magic links ----------------------------------------------------------------------


def test_a_magic_link_sign_in_runs_the_hooks_and_steps_up(make_app):
    """The link opened in the browser that asked; the hook asks for the phone's code."""
    app = make_app(POST_LOGIN_HOOKS="hook_samples:always_step_up,hook_samples:add_roles")
    phone = "+14155552671"
    with app.app_context():
        update_connection("email", send="link")
        user = users.create_with_identity("email", EMAIL)
        user.identities.append(Identity(connection="sms", value=phone, verified=True))
        db.session.commit()
    shop = RelyingApp.register(app)
    person = LoginPage(app.test_client())
    person.open_authorize(**shop.authorize_params())
    assert person.submit_email(EMAIL).headers["Location"].startswith("/login/wait/")
    link = urlsplit(messages_to(app, EMAIL)[-1].link)
    opened = person.client.get(link.path)  # "Continue signing in to Example App"
    form = form_posting_to(opened.get_data(as_text=True), "/login/link/")

    stepped = person.client.post(form.action, data=form.fields)

    assert stepped.status_code == 303 and "/login/code/" in stepped.headers["Location"]
    person.code_url = stepped.headers["Location"]
    assert "One more step" in visible_text(person.open_code_page().get_data(as_text=True))
    done = person.enter_code(messages_to(app, phone)[-1].code)
    assert done.status_code == 302, visible_text(done.get_data(as_text=True))
    tokens = shop.exchange(app.test_client(), query_of(done.headers["Location"])["code"])
    keys = KeySet.import_key_set(person.client.get("/.well-known/jwks.json").get_json())
    claims = jwt.decode(tokens.get_json()["id_token"], keys, algorithms=["RS256"]).claims
    assert claims["amr"] == ["otp", "sms", "mca", "mfa"]
    assert claims[ROLES] == ["reader", shop.client_id]


def test_a_step_up_after_an_sms_code_sends_the_second_code_by_email(make_app):
    app = make_app(POST_LOGIN_HOOKS="hook_samples:always_step_up")
    phone = "+14155552671"
    with app.app_context():
        user = users.create_with_identity("sms", phone)
        user.identities.append(Identity(connection="email", value=EMAIL, verified=True))
        db.session.commit()
    shop = RelyingApp.register(app, connections=("sms",))
    person = LoginPage(app.test_client())
    person.open_authorize(**shop.authorize_params(scope="openid phone"))
    assert person.submit_phone("(415) 555-2671").status_code == 303
    first = person.enter_code(messages_to(app, phone)[-1].code)
    assert first.status_code == 303 and messages_to(app, EMAIL) != []

    person.code_url = first.headers["Location"]
    wrong = person.enter_code(wrong_code_for(messages_to(app, EMAIL)[-1].code))
    assert wrong.status_code == 400  # the second code has the tries cap of any code
    done = person.enter_code(messages_to(app, EMAIL)[-1].code)

    assert done.status_code == 302, visible_text(done.get_data(as_text=True))
    tokens = shop.exchange(app.test_client(), query_of(done.headers["Location"])["code"])
    keys = KeySet.import_key_set(person.client.get("/.well-known/jwks.json").get_json())
    claims = jwt.decode(tokens.get_json()["id_token"], keys, algorithms=["RS256"]).claims
    assert claims["amr"] == ["otp", "sms", "mca", "mfa"]
    assert claims["phone_number"] == phone


def test_a_link_an_app_asked_for_runs_the_hooks(make_app):
    """POST /passwordless/start with send=link: whichever browser opens the link gets the
    hooks' verdict (here a denial, with access_denied and the app's state to go back)."""
    app = make_app(POST_LOGIN_HOOKS="hook_samples:deny_everyone")
    shop = RelyingApp.register(app)
    client = app.test_client()
    started = client.post(
        "/passwordless/start",
        json={
            "client_id": shop.client_id,
            "client_secret": shop.secret,
            "connection": "email",
            "email": EMAIL,
            "send": "link",
            "authParams": {"state": "st-1", "scope": "openid email"},
        },
    )
    assert started.status_code == 200, started.get_data(as_text=True)
    path = urlsplit(messages_to(app, EMAIL)[-1].link).path
    browser = app.test_client()
    form = form_posting_to(browser.get(path).get_data(as_text=True), path + "/app")

    denied = browser.post(form.action, data=form.fields)

    assert denied.status_code == 403
    page = denied.get_data(as_text=True)
    assert "Ce service est fermé pour maintenance." in visible_text(page)
    back = html.unescape(re.search(r'class="lk-submit" href="([^"]+)"', page).group(1))
    assert back.startswith(shop.callback + "?")
    assert query_of(back)["error"] == "access_denied" and query_of(back)["state"] == "st-1"
    with app.app_context():
        assert db.session.query(Event).filter_by(type="login.hook_denied").count() == 1
