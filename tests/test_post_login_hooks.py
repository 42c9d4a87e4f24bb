"""Post-login hooks through real sign-ins: a person's browser (requests) on the hosted
page of a live server, codes through a real SMTP server and a real SMS gateway, and
Authlib's OAuth2 client as the app, which checks the ID token against the published
keys. The two examples of docs/hooks/ run as an operator would install them.
"""

from __future__ import annotations

import html
import re
import secrets
from pathlib import Path

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from helpers import form_posting_to, query_of, visible_text
from hook_samples import ROLES
from joserfc import jwt
from joserfc.jwk import KeySet

from app.accounts import users
from app.accounts.clients import create_client
from app.delivery import dispatcher
from app.extensions import db
from app.models import AuthorizationCode, Event, Identity

EXAMPLES = Path(__file__).resolve().parent.parent / "docs" / "hooks"
EMAIL = "robin@example.com"
OUTSIDER = "pat@elsewhere.org"
PHONE = "+14155552671"
TIMEOUT = 10
BOTH = ["otp", "sms", "mca", "mfa"]


@pytest.fixture
def examples(monkeypatch):
    """docs/hooks on the import path, as an operator's PYTHONPATH would have it."""
    monkeypatch.syspath_prepend(str(EXAMPLES))


class Person:
    """Someone at the hosted page in one browser, reading their mail and texts."""

    def __init__(self, server, smtp_server, gateway=None, headers=None):
        self.server, self.smtp, self.gateway = server, smtp_server, gateway
        self.http = requests.Session()
        self.http.headers.update(headers or {})

    def get(self, url: str) -> requests.Response:
        url = url if url.startswith("http") else self.server.url + url
        return self.http.get(url, allow_redirects=False, timeout=TIMEOUT)

    def submit(self, page: str, action_prefix: str, **values) -> requests.Response:
        form = form_posting_to(page, action_prefix)
        data = {**form.fields, **values}
        url = self.server.url + form.action
        return self.http.post(url, data=data, allow_redirects=False, timeout=TIMEOUT)

    def deliver(self) -> None:
        with self.server.app.app_context():
            dispatcher.dispatch_due()

    def mailed_code(self, email: str) -> str:
        self.deliver()
        message = [m for m in self.smtp.messages if m["To"] == email][-1]
        return re.search(r"\b(\d{6})\b", message["Subject"]).group(1)

    def texted_code(self) -> str:
        self.deliver()
        return self.gateway.wait_for(1).code

    def sign_in_by_email(self, authorization_url: str, email: str) -> requests.Response:
        """Open the app's link, type the address and the mailed code; the last answer."""
        opened = self.get(authorization_url)
        assert opened.status_code == 200, visible_text(opened.text)
        started = self.submit(opened.text, "/login/start", email=email)
        assert started.status_code == 303, visible_text(started.text)
        code_page = self.get(started.headers["Location"])
        return self.submit(code_page.text, "/login/code/", code=self.mailed_code(email))

    def has_sso_session(self) -> bool:
        return any("latchkey_sso" in cookie.name for cookie in self.http.cookies)


class App:
    """A relying app: Authlib's OAuth2Session with PKCE S256, state and nonce."""

    def __init__(self, server, name: str, scope: str = "openid email"):
        self.server = server
        self.callback = f"https://{name.lower()}.example/cb"
        with server.app.app_context():
            client, secret = create_client(name, [self.callback], connections=("email", "sms"))
            self.client_id = client.client_id
        self.session = OAuth2Session(
            self.client_id,
            secret,
            scope=scope,
            redirect_uri=self.callback,
            code_challenge_method="S256",
            token_endpoint_auth_method="client_secret_basic",
        )
        self.discovery = requests.get(
            server.url + "/.well-known/openid-configuration", timeout=TIMEOUT
        ).json()

    def authorization_url(self, **extra: str) -> str:
        self.verifier, self.nonce = secrets.token_urlsafe(48), secrets.token_urlsafe(16)
        url, self.state = self.session.create_authorization_url(
            self.discovery["authorization_endpoint"],
            code_verifier=self.verifier,
            nonce=self.nonce,
            **extra,
        )
        return url

    def tokens_for(self, callback_url: str) -> dict:
        assert callback_url.startswith(self.callback + "?"), callback_url
        assert query_of(callback_url)["state"] == self.state
        return self.session.fetch_token(
            self.discovery["token_endpoint"],
            authorization_response=callback_url,
            code_verifier=self.verifier,
        )

    def id_token_claims(self, token: dict, refreshed: bool = False) -> dict:
        """The ID token's claims, checked; a refreshed one has no nonce."""
        published = requests.get(self.discovery["jwks_uri"], timeout=TIMEOUT).json()
        decoded = jwt.decode(token["id_token"], KeySet.import_key_set(published), ["RS256"])
        nonce = {} if refreshed else {"nonce": {"essential": True, "value": self.nonce}}
        jwt.JWTClaimsRegistry(
            iss={"essential": True, "value": self.server.url},
            aud={"essential": True, "value": self.client_id},
            **nonce,
        ).validate(decoded.claims)
        return decoded.claims

    def userinfo(self) -> dict:
        answer = self.session.get(self.discovery["userinfo_endpoint"], timeout=TIMEOUT)
        assert answer.status_code == 200, answer.text
        return answer.json()


def events_of(server, type_: str) -> list[Event]:
    with server.app.app_context():
        return db.session.query(Event).filter_by(type=type_).all()


def codes_issued(server) -> int:
    with server.app.app_context():
        return db.session.query(AuthorizationCode).count()


def assert_refused(server, person, page, status: int, *lines: str, event: str):
    """A refused sign-in: the page says so, no code and no SSO session exist, one event
    is recorded, and the page's button goes back to the app with access_denied.
    Returns the event and that button's URL."""
    assert page.status_code == status
    text = visible_text(page.text)
    assert all(line in text for line in lines), text
    assert not person.has_sso_session() and codes_issued(server) == 0
    [recorded] = events_of(server, event)
    back = html.unescape(re.search(r'class="lk-submit" href="([^"]+)"', page.text).group(1))
    assert query_of(back)["error"] == "access_denied"
    return recorded, back


@pytest.fixture
def staff_only(examples, live_server, smtp_server):
    """The docs' allow-list hook: the Staff app takes example.com only, Shop anyone."""
    server = live_server(
        POST_LOGIN_HOOKS="email_domains:allow_listed_domains", **smtp_server.mail_config()
    )
    staff, shop = App(server, "Staff"), App(server, "Shop")
    server.app.config["ALLOWED_EMAIL_DOMAINS"] = {staff.client_id: ["example.com"]}
    return server, staff, shop


def test_deny_hook_from_docs_keeps_one_app_to_its_domain(staff_only, smtp_server):
    server, staff, shop = staff_only

    outsider = Person(server, smtp_server)
    denied = outsider.sign_in_by_email(staff.authorization_url(), OUTSIDER)

    event, back = assert_refused(
        server,
        outsider,
        denied,
        403,
        "You can't sign in to this app",
        "Only addresses at example.com can sign in to Staff.",
        event="login.hook_denied",
    )
    assert event.detail["hook"] == "email_domains:allow_listed_domains"
    assert back.startswith(staff.callback + "?")
    answer = query_of(back)
    assert answer["state"] == staff.state and answer["iss"] == server.url
    assert "code" not in answer

    # The same person may use the app that has no list; someone at the domain may use Staff.
    assert shop.tokens_for(
        outsider.sign_in_by_email(shop.authorization_url(), OUTSIDER).headers["Location"]
    )
    insider = Person(server, smtp_server)
    done = insider.sign_in_by_email(staff.authorization_url(), EMAIL)
    assert done.status_code == 302, visible_text(done.text)
    assert staff.id_token_claims(staff.tokens_for(done.headers["Location"]))["email"] == EMAIL


def test_deny_hook_holds_for_single_sign_on_too(staff_only, smtp_server):
    server, staff, shop = staff_only
    person = Person(server, smtp_server)
    signed_in = person.sign_in_by_email(shop.authorization_url(), OUTSIDER)
    assert signed_in.status_code == 302 and person.has_sso_session()

    page = person.get(staff.authorization_url())
    assert page.status_code == 403
    assert "Only addresses at example.com" in visible_text(page.text)
    silent = person.get(staff.authorization_url(prompt="none"))
    assert silent.status_code == 302
    answer = query_of(silent.headers["Location"])
    assert silent.headers["Location"].startswith(staff.callback + "?")
    assert answer["error"] == "access_denied" and answer["state"] == staff.state
    assert codes_issued(server) == 1  # Shop's only


def test_claims_hook_adds_namespaced_claims_to_the_tokens_and_userinfo(live_server, smtp_server):
    server = live_server(
        POST_LOGIN_HOOKS="hook_samples:add_roles",
        POST_LOGIN_COUNTRY_HEADER="X-Country",
        **smtp_server.mail_config(),
    )
    shop = App(server, "Shop", scope="openid email offline_access")
    person = Person(server, smtp_server, headers={"X-Country": "nl"})

    done = person.sign_in_by_email(shop.authorization_url(), EMAIL)

    assert done.status_code == 302, visible_text(done.text)
    token = shop.tokens_for(done.headers["Location"])
    claims = shop.id_token_claims(token)
    assert claims[ROLES] == ["reader", shop.client_id]
    assert claims["https://example.com/country"] == "NL"
    assert claims["email"] == EMAIL and claims["amr"] == ["otp"]
    info = shop.userinfo()
    assert info[ROLES] == ["reader", shop.client_id] and info["sub"] == claims["sub"]
    refreshed = shop.session.refresh_token(shop.discovery["token_endpoint"])
    assert refreshed["access_token"] != token["access_token"]
    assert shop.userinfo()[ROLES] == ["reader", shop.client_id]
    again = shop.id_token_claims(refreshed, refreshed=True)  # the sign-in's claims, kept
    assert again[ROLES] == ["reader", shop.client_id]
    assert again["https://example.com/country"] == "NL"
    assert (again["auth_time"], again["amr"]) == (claims["auth_time"], ["otp"])
    assert "nonce" not in again


def _user_with_email_and_phone(server) -> None:
    with server.app.app_context():
        user = users.create_with_identity("email", EMAIL)
        user.identities.append(Identity(connection="sms", value=PHONE, verified=True))
        db.session.commit()


def test_step_up_hook_from_docs_sends_a_second_code_to_the_phone(
    examples, live_server, smtp_server, gateway
):
    server = live_server(
        POST_LOGIN_HOOKS="step_up_outside_network:step_up_outside_network",
        STEP_UP_TRUSTED_NETWORKS=["10.0.0.0/8"],  # the test's 127.0.0.1 is outside
        **smtp_server.mail_config(),
        **gateway.config(),
    )
    _user_with_email_and_phone(server)
    shop, blog = App(server, "Shop"), App(server, "Blog")
    person = Person(server, smtp_server, gateway)

    first = person.sign_in_by_email(shop.authorization_url(), EMAIL)

    assert first.status_code == 303 and "/login/code/" in first.headers["Location"]
    assert not person.has_sso_session()
    page = person.get(first.headers["Location"])
    text = visible_text(page.text)
    assert "One more step" in text and "+1 415-555-2671" in text
    assert 'class="lk-back" href="/authorize?' in page.text  # back: start again, not edit
    done = person.submit(page.text, "/login/code/", code=person.texted_code())
    assert done.status_code == 302, visible_text(done.text)
    assert gateway.received[-1].body["recipient"] == PHONE
    claims = shop.id_token_claims(shop.tokens_for(done.headers["Location"]))
    assert claims["amr"] == BOTH and claims["email"] == EMAIL
    [event] = events_of(server, "login.step_up")
    assert event.connection == "sms"

    # The session remembers both methods: another app answers at once, no third code.
    sso = person.get(blog.authorization_url())
    assert sso.status_code == 302, visible_text(sso.text)
    assert blog.id_token_claims(blog.tokens_for(sso.headers["Location"]))["amr"] == BOTH
    assert len(gateway.received) == 1


def test_step_up_hook_from_docs_lets_trusted_networks_through(
    examples, live_server, smtp_server, gateway
):
    server = live_server(
        POST_LOGIN_HOOKS="step_up_outside_network:step_up_outside_network",
        STEP_UP_TRUSTED_NETWORKS=["10.0.0.0/8", "127.0.0.0/8"],
        **smtp_server.mail_config(),
        **gateway.config(),
    )
    _user_with_email_and_phone(server)
    shop = App(server, "Shop")
    done = Person(server, smtp_server, gateway).sign_in_by_email(shop.authorization_url(), EMAIL)
    assert done.status_code == 302, visible_text(done.text)
    assert shop.id_token_claims(shop.tokens_for(done.headers["Location"]))["amr"] == ["otp"]
    assert gateway.received == []


def test_step_up_without_another_channel_is_refused_on_a_page(live_server, smtp_server):
    server = live_server(
        POST_LOGIN_HOOKS="hook_samples:always_step_up", **smtp_server.mail_config()
    )
    shop = App(server, "Shop")
    person = Person(server, smtp_server)
    refused = person.sign_in_by_email(shop.authorization_url(), EMAIL)
    assert refused.status_code == 403
    assert "your account has none" in visible_text(refused.text)
    assert not person.has_sso_session() and codes_issued(server) == 0
    assert len(events_of(server, "login.step_up_unavailable")) == 1


@pytest.mark.parametrize(
    ("hook", "why"),
    [
        ("hook_samples:crash", "raised"),
        ("hook_samples:sleep_long", "timeout"),
        ("hook_samples:add_bare_claim", "raised"),
        ("hook_samples:add_huge_claim", "claims_too_large"),
    ],
)
def test_a_crashing_or_slow_hook_fails_closed(live_server, smtp_server, hook, why):
    server = live_server(
        POST_LOGIN_HOOKS=hook, POST_LOGIN_HOOK_TIMEOUT=0.5, **smtp_server.mail_config()
    )
    shop = App(server, "Shop")
    person = Person(server, smtp_server)

    failed = person.sign_in_by_email(shop.authorization_url(), EMAIL)

    event, back = assert_refused(
        server,
        person,
        failed,
        503,
        "We couldn't finish signing you in",
        "A check that runs after sign-in did not answer",
        event="login.hook_failed",
    )
    assert event.detail == {"hook": hook, "why": why}
    assert back.startswith(shop.callback + "?")
