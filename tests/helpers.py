"""Small helpers that act like the people and programs around Latchkey.

- `LoginPage`: a person in a browser on the hosted login page (open the authorize
  URL, type an email, read the code from the mailbox, type it).
- `RelyingApp`: a registered app that starts an authorize request and exchanges codes.
- `Mailbox` functions: what the dev outbox holds for an address.
- `pkce_pair()` and small HTML readers (forms, hidden fields, the CSRF token).
"""

from __future__ import annotations

import base64
import hashlib
import html as html_lib
import re
import secrets
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.accounts.clients import create_client
from app.extensions import db
from app.models import OutboxMessage

CODE_IN_TEXT = re.compile(r"\b(\d{4,12})\b")
LINK_IN_TEXT = re.compile(r"https?://\S+/login/link/[A-Za-z0-9_.-]+")


# --- PKCE ---------------------------------------------------------------------


def pkce_pair() -> tuple[str, str]:
    """A fresh (code_verifier, S256 code_challenge) pair."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


# --- Reading pages --------------------------------------------------------------


@dataclass
class Form:
    """A <form> on a page: where it posts and the values of its inputs."""

    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)


class _FormReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.inputs: list[dict[str, str]] = []
        self._open: Form | None = None

    def handle_starttag(self, tag, attrs):
        attributes = {name: value or "" for name, value in attrs}
        if tag == "form":
            self._open = Form(attributes.get("action", ""), attributes.get("method", "get"))
            self.forms.append(self._open)
        elif tag == "input":
            self.inputs.append(attributes)
            if self._open is not None and "name" in attributes:
                self._open.fields[attributes["name"]] = attributes.get("value", "")

    def handle_endtag(self, tag):
        if tag == "form":
            self._open = None


def read_forms(html: str) -> list[Form]:
    """Every form on a page, in page order."""
    reader = _FormReader()
    reader.feed(html)
    return reader.forms


def form_posting_to(html: str, path_prefix: str) -> Form:
    """The form whose action starts with `path_prefix`; fails the test if there is none."""
    for form in read_forms(html):
        if form.action.startswith(path_prefix):
            return form
    raise AssertionError(f"no form posting to {path_prefix!r} on the page")


def hidden_field(html: str, name: str) -> str:
    """The value of the first <input name=...> on a page (unescaped)."""
    reader = _FormReader()
    reader.feed(html)
    for attributes in reader.inputs:
        if attributes.get("name") == name:
            return attributes.get("value", "")
    raise AssertionError(f"no input named {name!r} on the page")


def csrf_token(html: str) -> str:
    return hidden_field(html, "csrf_token")


def selected_country(html: str) -> str:
    """The country the phone page's picker starts on."""
    found = re.search(r'<option value="([A-Z]{2})"[^>]*\bselected\b', html)
    assert found, "no country is selected on the page"
    return found.group(1)


def query_of(url: str) -> dict[str, str]:
    """The query parameters of a URL, one value each."""
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def visible_text(html: str) -> str:
    """The page text without tags, whitespace collapsed (for "the user sees ...")."""
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", text)
    return " ".join(html_lib.unescape(text).split())


# --- The mailbox ------------------------------------------------------------------


@dataclass(frozen=True)
class Message:
    """A message as the recipient would read it."""

    recipient: str
    subject: str
    text: str
    html: str | None
    ticket_id: str | None

    @property
    def code(self) -> str:
        text = LINK_IN_TEXT.sub(" ", self.text)  # a link's token may hold digits
        found = CODE_IN_TEXT.search(self.subject) or CODE_IN_TEXT.search(text)
        assert found, f"no code in message {self.subject!r}"
        return found.group(1)

    @property
    def link(self) -> str:
        """The magic link in the message (absolute, as the recipient sees it)."""
        found = LINK_IN_TEXT.search(self.text)
        assert found, f"no link in message {self.subject!r}"
        return found.group(0)


def messages_to(app: Flask, recipient: str) -> list[Message]:
    """Every outbox message for an address, oldest first."""
    with app.app_context():
        rows = db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.recipient == recipient)
            .order_by(OutboxMessage.id)
        ).all()
        return [
            Message(row.recipient, row.subject, row.body_text, row.body_html, row.ticket_id)
            for row in rows
        ]


def all_messages(app: Flask) -> list[Message]:
    with app.app_context():
        rows = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        return [
            Message(row.recipient, row.subject, row.body_text, row.body_html, row.ticket_id)
            for row in rows
        ]


def newest_code(app: Flask, recipient: str) -> str:
    """The code in the newest message sent to an address."""
    messages = messages_to(app, recipient)
    assert messages, f"no message was sent to {recipient}"
    return messages[-1].code


def wrong_code_for(code: str) -> str:
    """A code of the same length that is certainly not `code`."""
    return "".join(str((int(digit) + 1) % 10) for digit in code)


# --- The relying app --------------------------------------------------------------


@dataclass
class RelyingApp:
    """A registered client and the authorize/token requests it makes."""

    client_id: str
    secret: str | None
    callback: str
    client_type: str
    verifier: str = ""
    challenge: str = ""
    state: str = field(default_factory=lambda: secrets.token_urlsafe(12))
    nonce: str = field(default_factory=lambda: secrets.token_urlsafe(12))

    @classmethod
    def register(
        cls,
        app: Flask,
        client_type: str = "regular",
        callbacks: tuple[str, ...] = ("https://app.example/cb",),
        logout_urls: tuple[str, ...] = (),
        name: str = "Example App",
        connections: tuple[str, ...] = ("email",),
        origins: tuple[str, ...] = (),
    ) -> RelyingApp:
        with app.app_context():
            client, secret = create_client(
                name,
                list(callbacks),
                client_type=client_type,
                logout_urls=list(logout_urls),
                connections=connections,
                origins=list(origins),
            )
            client_id = client.client_id
        verifier, challenge = pkce_pair()
        return cls(client_id, secret, callbacks[0], client_type, verifier, challenge)

    def authorize_params(self, **overrides: str | None) -> dict[str, str]:
        """A valid authorize request; an override of None leaves that parameter out."""
        params: dict[str, str | None] = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.callback,
            "scope": "openid email",
            "state": self.state,
            "nonce": self.nonce,
            "code_challenge": self.challenge,
            "code_challenge_method": "S256",
        }
        params.update(overrides)
        return {key: value for key, value in params.items() if value is not None}

    def code_body(self, code: str, **more: str) -> dict[str, str]:
        """The token request's body for a code (grant, code, callback, PKCE verifier)."""
        return {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.callback,
            "code_verifier": self.verifier,
            **more,
        }

    def exchange(self, http: FlaskClient, code: str, **overrides: str | None):
        """POST /oauth/token for a code, authenticating as this app would."""
        data: dict[str, str | None] = dict(self.code_body(code))
        auth = None
        if self.secret:
            auth = (self.client_id, overrides.pop("client_secret", None) or self.secret)
        else:
            data["client_id"] = self.client_id
        data.update(overrides)
        form = {key: value for key, value in data.items() if value is not None}
        return http.post("/oauth/token", data=form, auth=auth)


def userinfo(http: FlaskClient, access_token: str | None):
    headers = {"Authorization": f"Bearer {access_token}"} if access_token else {}
    return http.get("/userinfo", headers=headers)


# --- The person at the login page ---------------------------------------------------


class LoginPage:
    """A person using the hosted login page in one browser (one test client)."""

    def __init__(self, client: FlaskClient):
        self.client = client
        self.app: Flask = client.application
        self.page = ""  # the HTML of the last page seen
        self.code_url: str | None = None

    @property
    def ticket_id(self) -> str:
        assert self.code_url, "no code page yet"
        return self.code_url.rsplit("/", 1)[-1]

    def _saw(self, response):
        if response.mimetype == "text/html" and not 300 <= response.status_code < 400:
            self.page = response.get_data(as_text=True)
        return response

    def open_authorize(self, **params: str):
        """GET /authorize as the app's redirect would."""
        return self._saw(self.client.get("/authorize", query_string=params))

    def submit_email(self, email: str, **changes: str | None):
        """Type an address on the email page and press Continue; `changes` tamper
        with the posted fields (None drops a field)."""
        form = form_posting_to(self.page, "/login/start")
        data = {**form.fields, "email": email, **changes}
        data = {key: value for key, value in data.items() if value is not None}
        response = self._saw(self.client.post("/login/start", data=data))
        if response.status_code == 303:
            self.code_url = response.headers["Location"]
        return response

    def submit_phone(self, phone_number: str, country: str = "US", **changes: str | None):
        """Pick a country, type a number on the phone page and press Continue."""
        form = form_posting_to(self.page, "/login/start/sms")
        data = {**form.fields, "country": country, "phone_number": phone_number, **changes}
        data = {key: value for key, value in data.items() if value is not None}
        response = self._saw(self.client.post("/login/start/sms", data=data))
        if response.status_code == 303:
            self.code_url = response.headers["Location"]
        return response

    def open_code_page(self):
        return self._saw(self.client.get(self.code_url))

    def follow(self, response):
        """Follow a redirect the way the browser would, and look at the page."""
        assert response.status_code in (302, 303), response.status_code
        return self._saw(self.client.get(response.headers["Location"]))

    def read_code(self, email: str) -> str:
        """Open the mailbox and read the newest code."""
        return newest_code(self.app, email)

    def enter_code(self, code: str, ticket_id: str | None = None):
        """Type a code on the code page and press Continue."""
        url = f"/login/code/{ticket_id}" if ticket_id else self.code_url
        if "/login/code/" not in self.page or "csrf_token" not in self.page:
            self.open_code_page()
        data = {"csrf_token": csrf_token(self.page), "code": code}
        return self._saw(self.client.post(url, data=data))

    def resend(self):
        response = self.client.post(
            f"/login/resend/{self.ticket_id}", data={"csrf_token": csrf_token(self.page)}
        )
        return self._saw(response)

    def restart(self):
        """Press "Send a new code" on a page that offers it."""
        form = form_posting_to(self.page, "/login/restart/")
        response = self._saw(self.client.post(form.action, data=form.fields))
        if response.status_code == 303:
            self.code_url = response.headers["Location"].split("?", 1)[0]
        return response

    def sign_in(self, email: str, **authorize_params: str):
        """The whole happy path; returns the redirect back to the app."""
        opened = self.open_authorize(**authorize_params)
        assert opened.status_code == 200, opened.get_data(as_text=True)
        started = self.submit_email(email)
        assert started.status_code == 303, started.get_data(as_text=True)
        self.open_code_page()
        return self.enter_code(self.read_code(email))


def signed_in_code(client: FlaskClient, relying_app: RelyingApp, email: str, **overrides) -> str:
    """Sign in through the hosted page and return the authorization code from the callback."""
    done = LoginPage(client).sign_in(email, **relying_app.authorize_params(**overrides))
    assert done.status_code == 302, done.get_data(as_text=True)
    return query_of(done.headers["Location"])["code"]
