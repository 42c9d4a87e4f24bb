"""Every route, thrown hostile input: a clear page or a JSON error, never a 500.

The route list comes from the app itself (url_map.iter_rules()) with every optional
blueprint on (demo, dev outbox, preview), so a new route is swept the day it lands.
Each route gets wrong methods, garbled and oversized query strings, invalid UTF-8,
NUL and CR/LF, repeated parameters, bogus cookies and Authorization headers, and
hostile path values; each POST route gets garbled bodies. A second pass runs on an
app without CSRF checks so the hostile values reach the views themselves.

The apps are real servers on loopback (the demo app fetches the issuer's discovery
document over HTTP), seeded with a registered app, a live sign-in ticket with its
code and magic link, and a signed-in browser, so hostile values also meet real rows.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import logging
from dataclasses import dataclass

import pytest
from helpers import LoginPage, RelyingApp, hidden_field, messages_to
from hostile_values import (
    BODIES,
    HEADERS,
    HOSTILE_SEGMENTS,
    QUERIES,
    REAL_VARIANTS,
    form_body,
)
from image_server import tiny_png
from live_server import LiveServer, start_live_server
from management import management_client, token_for

from app import create_app
from app.accounts import users
from app.accounts.connections import update_connection
from app.accounts.demo import ensure_demo_client
from app.extensions import db
from app.models import BrowserSession, Client, LoginTicket, Logo, OutboxMessage, User
from app.signin import link_tokens, tickets

PREVIEW_PASSWORD = "preview-password"
PREVIEW_AUTH = "Basic " + base64.b64encode(f"ops:{PREVIEW_PASSWORD}".encode()).decode()
SWEPT = {
    "DEMO": True,
    "DEV_OUTBOX": True,
    "PREVIEW_PASSWORD": PREVIEW_PASSWORD,
    "MANAGEMENT_TOKEN_TTL": 24 * 3600,  # the sweep's one token lasts the whole module
}
JSON_PREFIXES = ("/oauth/", "/userinfo", "/.well-known/", "/passwordless/", "/api/v2/")
# Under a JSON prefix but a page the browser navigates to (auth0.js's hosted-page redirect).
PAGES = ("/passwordless/verify_redirect",)
EMAIL = "pat@example.com"
SIGNED_IN = "sam@example.com"
LOGO_SHA256 = hashlib.sha256(tiny_png()).hexdigest()
LEAKS = ("Traceback", 'File "/', "Internal Server Error", "Something went wrong")


def _routes() -> list[tuple[str, str, frozenset[str]]]:
    """(rule, method, variables) for every route and method of a fully loaded app."""
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "route-listing",
            "ISSUER": "https://latchkey.test",
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
            "DISPATCHER_THREAD": False,
            **SWEPT,
        }
    )
    found = []
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((rule.rule, method, frozenset(rule.arguments)))
    return sorted(found)


ROUTES = _routes()
POST_ROUTES = [route for route in ROUTES if route[1] == "POST"]
WITH_VARIABLES = [route for route in ROUTES if route[2]]


def _route_id(route) -> str:
    return f"{route[1]} {route[0]}"


# --- The seeded apps ------------------------------------------------------------------


@dataclass
class Seeded:
    """A running app and the real values hostile requests are mixed with."""

    server: LiveServer
    client_id: str
    secret: str
    callback: str
    authz: str  # the signed authorize request the email page carries
    ticket_id: str  # a live ticket sending a code and a link
    token: str  # that ticket's magic-link token
    binding: str  # the binding cookie of the browser that asked
    sso: str  # the SSO cookie of a signed-in browser
    message_id: int
    counts: dict[str, int]
    user_sub: str = ""  # a user of its own, whom the Management API may delete
    management_token: str = ""  # every Management API scope

    @property
    def app(self):
        return self.server.app

    def cookie(self, binding: str | None = None, sso: str | None = None, session=None) -> dict:
        """A Cookie header under the app's own cookie names (__Host- ones under HTTPS)."""
        config = self.app.config
        names = {
            config["BINDING_COOKIE_NAME"]: binding,
            config["SSO_COOKIE_NAME"]: sso,
            config["SESSION_COOKIE_NAME"]: session,
        }
        pairs = [f"{name}={value}" for name, value in names.items() if value is not None]
        return {"Cookie": "; ".join(pairs)}

    def fresh(self) -> Seeded:
        """The same values with a new live ticket (code and link) for the same browser,
        so a hostile request meets a ticket no earlier case has ended."""
        with self.app.app_context():
            client = db.session.query(Client).filter_by(client_id=self.client_id).one()
            ticket = tickets.start(
                "email",
                EMAIL,
                client=client,
                authorize_params=link_tokens.load_authorize_request(self.authz),
                binding_value=self.binding,
            )
            ticket_id = ticket.id
        link = messages_to(self.app, EMAIL)[-1].link
        return dataclasses.replace(self, ticket_id=ticket_id, token=link.rsplit("/", 1)[-1])

    def real(self, variable: str) -> str:
        """A valid value for a path variable."""
        if variable == "sub":  # the console's user pages
            with self.app.app_context():
                return users.find_by_identity("email", SIGNED_IN).sub
        return {
            "ticket_id": self.ticket_id,
            "token": self.token,
            "message_id": str(self.message_id),
            "template": "code",
            "language": "en",
            "name": "lock",
            "theme": "lock",
            "screen": "email",
            "filename": "lock.css",
            "sha256": LOGO_SHA256,
            "client_id": self.client_id,
            "user_id": self.user_sub,
            "connection_id": "con_email",
            "provider": "email",
            "identity_id": self.user_sub,  # its identity's own id (linking's subject)
        }[variable]


def _stored_counts(app) -> dict[str, int]:
    with app.app_context():
        return {
            model.__name__: db.session.query(model).count()
            for model in (Client, User, LoginTicket, OutboxMessage)
        }


def _seed(server: LiveServer) -> Seeded:
    app = server.app
    with app.app_context():
        ensure_demo_client()
        db.session.add(Logo(sha256=LOGO_SHA256, content_type="image/png", body=tiny_png()))
        db.session.commit()
    relying = RelyingApp.register(app, connections=("email", "sms"))

    signed_in = LoginPage(app.test_client())
    done = signed_in.sign_in(SIGNED_IN, **relying.authorize_params())
    assert done.status_code == 302, done.get_data(as_text=True)[:500]
    sso = signed_in.client.get_cookie(app.config["SSO_COOKIE_NAME"]).value

    with app.app_context():
        update_connection("email", send="both")  # the next ticket has a code and a link

    asking = LoginPage(app.test_client())
    opened = asking.open_authorize(**relying.authorize_params(nonce="second"))
    assert opened.status_code == 200, opened.headers.get("Location")
    authz = hidden_field(asking.page, "authz")
    assert asking.submit_email(EMAIL).status_code == 303
    ticket_id = asking.code_url.split("?")[0].rsplit("/", 1)[-1]
    message = messages_to(app, EMAIL)[-1]
    with app.app_context():
        message_id = db.session.query(OutboxMessage).filter_by(recipient=EMAIL).first().id
    counts = _stored_counts(app)
    with app.app_context():  # one the Management API's DELETE may take (not counted)
        user_sub = users.create_with_identity("email", "deletable@example.com").sub
        db.session.commit()
    bot_id, bot_secret = management_client(app)
    return Seeded(
        server=server,
        client_id=relying.client_id,
        secret=relying.secret,
        callback=relying.callback,
        authz=authz,
        ticket_id=ticket_id,
        token=message.link.rsplit("/", 1)[-1],
        binding=asking.client.get_cookie(app.config["BINDING_COOKIE_NAME"]).value,
        sso=sso,
        message_id=message_id,
        counts=counts,
        user_sub=user_sub,
        management_token=token_for(app.test_client(), bot_id, bot_secret),
    )


@pytest.fixture(scope="module")
def guarded(tmp_path_factory):
    """The app as deployed: CSRF on."""
    server = start_live_server(tmp_path_factory.mktemp("guarded"), **SWEPT)
    yield _seed(server)
    server.stop()


@pytest.fixture(scope="module")
def unguarded(tmp_path_factory):
    """CSRF off (once seeded through the real pages), so hostile form values reach
    the views."""
    server = start_live_server(tmp_path_factory.mktemp("unguarded"), **SWEPT)
    seeded = _seed(server)
    server.app.config["WTF_CSRF_ENABLED"] = False
    yield seeded
    server.stop()


@pytest.fixture
def unhandled(caplog):
    """The app's and Flask's log records of unexpected exceptions during a test."""
    caplog.set_level(logging.WARNING, logger="app")
    caplog.set_level(logging.WARNING, logger="flask")

    def records() -> list[str]:
        return [
            record.getMessage()
            for record in caplog.records
            if "Unhandled error" in record.getMessage() or "Exception on" in record.getMessage()
        ]

    return records


# --- What every answer must look like ----------------------------------------------


def assert_handled(response, path: str, unhandled) -> None:
    """Never a 5xx, never a traceback; our page or JSON, as the route speaks (or the
    image a logo route serves)."""
    if response.status_code == 200 and response.mimetype.startswith("image/"):
        assert unhandled() == [], f"unhandled error on {path}"
        return
    body = response.get_data(as_text=True)
    assert response.status_code < 500, f"{response.status_code} on {path}: {body[:300]}"
    assert unhandled() == [], f"unhandled error on {path}"
    for leak in LEAKS:
        assert leak not in body, f"{leak!r} in the answer to {path}"
    if 300 <= response.status_code < 400 or response.status_code == 204:
        return
    if path.startswith(JSON_PREFIXES) and not path.startswith(PAGES):
        assert response.mimetype == "application/json", f"{response.mimetype} from {path}"
        json.loads(body)
    elif response.mimetype == "text/html" and response.status_code >= 400:
        assert "<!doctype html>" in body and 'class="lk-' in body, f"not our page: {body[:300]}"
    elif response.status_code >= 400:
        scripts = ("application/javascript",) if path.startswith("/client/") else ()
        assert response.mimetype in ("application/json", "text/plain", *scripts), response.mimetype


def _path(rule: str, fill) -> str:
    """A rule with each <converter:variable> replaced by fill(variable) (already encoded)."""
    out, rest = "", rule
    while "<" in rest:
        before, _, after = rest.partition("<")
        spec, _, rest = after.partition(">")
        out += before + fill(spec.rsplit(":", 1)[-1])
    return out + rest


def _send(seeded: Seeded, method: str, path: str, headers: dict | None = None, **kwargs):
    """One request from a fresh client; the preview pages get their password (unless the
    case is about the Authorization header), so the hostile values reach them."""
    headers = dict(headers or {})
    if path.startswith("/preview") and "Authorization" not in headers:
        headers["Authorization"] = PREVIEW_AUTH
    if path.startswith("/api/v2/") and "Authorization" not in headers:
        headers["Authorization"] = f"Bearer {seeded.management_token}"
    http = seeded.app.test_client(use_cookies=False)
    response = http.open(path, method=method, headers=headers, **kwargs)
    response.get_data()  # read (and keep) a streamed file before closing it
    response.close()
    return response


# --- Pass 1: the app as deployed --------------------------------------------------------


@pytest.mark.parametrize("route", ROUTES, ids=_route_id)
def test_wrong_methods_are_refused_cleanly(guarded, unhandled, route):
    rule, method, _ = route
    path = _path(rule, guarded.real)
    allowed = {m for r, m, _ in ROUTES if r == rule}
    for wrong in sorted({"GET", "POST", "PUT", "DELETE", "PATCH"} - allowed):
        response = _send(guarded, wrong, path, data=form_body("x"))
        assert_handled(response, path, unhandled)
        assert response.status_code == 405, (wrong, path, response.status_code)


@pytest.mark.parametrize("route", ROUTES, ids=_route_id)
def test_head_and_preflight(guarded, unhandled, route):
    """HEAD of a page, and a CORS preflight from a garbled origin asking for odd things."""
    rule, method, _ = route
    path = _path(rule, guarded.real)
    preflight = {
        "Origin": "null",
        "Access-Control-Request-Method": "ÿ",
        "Access-Control-Request-Headers": "x-\x00, " + "a" * 2000,
    }
    answers = [_send(guarded, "OPTIONS", path, headers=preflight)]
    if method == "GET":
        answers.append(_send(guarded, "HEAD", path))
    for response in answers:  # no body to read: an empty OPTIONS answer, a HEAD
        assert response.status_code < 500, (response.request.method, path)
        assert unhandled() == [], f"unhandled error on {path}"
        assert response.data == b"" or response.request.method == "OPTIONS"


@pytest.mark.parametrize(
    "path",
    [
        "/%ff%fe",
        "//login/start",
        "/login/code/a/b/c",
        "/login/code/",
        "/login/link/",
        "/.well-known/%2e%2e/app/config.py",
        "/oauth/%00",
        "/userinfo/extra",
        "/static/..%2f..%2fapp%2fconfig.py",
        "/themes/..%2f..%2fapp/static/config.py",
        "/themes/lock/static/..%2f..%2f..%2fapp%2fconfig.py",
        "/dev/outbox/-1.html",
        "/" + "a" * 8000,
    ],
)
def test_paths_outside_the_routes(guarded, unhandled, path):
    for method in ("GET", "POST"):
        response = _send(guarded, method, path)
        assert_handled(response, path, unhandled)
        assert response.status_code in (404, 405, 308), (method, path, response.status_code)


@pytest.mark.parametrize("case", list(QUERIES))
@pytest.mark.parametrize("route", ROUTES, ids=_route_id)
def test_hostile_query_strings(guarded, unhandled, route, case):
    rule, method, _ = route
    query = QUERIES[case]
    query = query(guarded) if callable(query) else query
    path = _path(rule, guarded.real)
    headers = {}
    if case.startswith("real-client") and rule != "/logout":  # a signed-in browser
        headers = guarded.cookie(sso=guarded.sso)
    response = _send(guarded, method, f"{path}?{query}", headers=headers)
    assert_handled(response, path, unhandled)


@pytest.mark.parametrize("case", list(HEADERS))
@pytest.mark.parametrize("route", ROUTES, ids=_route_id)
def test_hostile_cookies_and_headers(guarded, unhandled, route, case):
    rule, method, _ = route
    path = _path(rule, guarded.real)
    response = _send(guarded, method, path, headers=HEADERS[case](guarded))
    assert_handled(response, path, unhandled)


@pytest.mark.parametrize("case", list(HOSTILE_SEGMENTS) + list(REAL_VARIANTS))
@pytest.mark.parametrize("route", WITH_VARIABLES, ids=_route_id)
def test_hostile_path_values(guarded, unhandled, route, case):
    _hostile_path(guarded, unhandled, route, case)


@pytest.mark.parametrize("case", list(BODIES))
@pytest.mark.parametrize("route", POST_ROUTES, ids=_route_id)
def test_hostile_bodies(guarded, unhandled, route, case):
    _hostile_body(guarded, unhandled, route, case)


# --- Pass 2: no CSRF check, so the values reach the views ---------------------------


@pytest.mark.parametrize("case", list(HOSTILE_SEGMENTS) + list(REAL_VARIANTS))
@pytest.mark.parametrize("route", [r for r in POST_ROUTES if r[2]], ids=_route_id)
def test_hostile_path_values_past_csrf(unguarded, unhandled, route, case):
    _hostile_path(unguarded, unhandled, route, case)


@pytest.mark.parametrize("case", list(BODIES))
@pytest.mark.parametrize("route", POST_ROUTES, ids=_route_id)
def test_hostile_bodies_past_csrf(unguarded, unhandled, route, case):
    _hostile_body(unguarded, unhandled, route, case)


def _hostile_path(seeded: Seeded, unhandled, route, case: str) -> None:
    rule, method, _ = route
    if case in REAL_VARIANTS:
        seeded = seeded.fresh()
        path = _path(rule, lambda variable: REAL_VARIANTS[case](seeded.real(variable)))
    else:
        path = _path(rule, lambda variable: HOSTILE_SEGMENTS[case])
    response = _send(seeded, method, path, data={"code": "000000", "number": "00"})
    assert_handled(response, path, unhandled)


def _hostile_body(seeded: Seeded, unhandled, route, case: str) -> None:
    """From the browser that asked (its binding cookie), on a live ticket."""
    rule, method, variables = route
    if variables & {"ticket_id", "token"}:
        seeded = seeded.fresh()
    content_type, body = BODIES[case](seeded)
    path = _path(rule, seeded.real)
    cookie = seeded.cookie(binding=seeded.binding)
    response = _send(seeded, method, path, headers=cookie, data=body, content_type=content_type)
    assert_handled(response, path, unhandled)
    if case == "oversized" and rule != "/userinfo":  # userinfo reads only its header
        assert response.status_code == 413, response.status_code


# --- Nothing stored is lost -------------------------------------------------------------


@pytest.mark.parametrize("fixture", ["guarded", "unguarded"])
def test_the_sweep_loses_nothing_stored(request, fixture):
    """After every hostile request: the apps, users and tickets are all still there (a
    few new tickets and messages may have been started by the hostile starts)."""
    seeded: Seeded = request.getfixturevalue(fixture)
    after = _stored_counts(seeded.app)
    for name, before in seeded.counts.items():
        assert after[name] >= before, (name, before, after[name])
    with seeded.app.app_context():
        assert db.session.get(LoginTicket, seeded.ticket_id) is not None
        assert db.session.query(Client).filter_by(client_id=seeded.client_id).count() == 1
        assert db.session.query(BrowserSession).count() >= 1


# --- Found by the sweep ---------------------------------------------------------------


@pytest.mark.parametrize("max_age", ["²", "١٠", "-1", "1e3", " 5"])
def test_max_age_that_is_not_ascii_digits_asks_for_a_fresh_login(guarded, unhandled, max_age):
    """A signed-in browser, an authorize request whose max_age is no plain number
    (Unicode digits pass str.isdigit but not always int()): the login page, as for
    any max_age that cannot be honoured, not a "garbled request" error."""
    relying = {"client_id": guarded.client_id, "redirect_uri": guarded.callback}
    query = {
        "response_type": "code",
        "scope": "openid email",
        "nonce": f"n-{max_age.strip()}",
        "code_challenge": "A" * 43,
        "code_challenge_method": "S256",
        "max_age": max_age,
        **relying,
    }
    http = guarded.app.test_client(use_cookies=False)
    response = http.get("/authorize", query_string=query, headers=guarded.cookie(sso=guarded.sso))
    assert_handled(response, "/authorize", unhandled)
    assert response.status_code == 200, response.get_data(as_text=True)[-1500:]
    assert 'name="email"' in response.get_data(as_text=True)
