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
import json
import logging
from dataclasses import dataclass
from urllib.parse import quote

import pytest
from helpers import LoginPage, RelyingApp, hidden_field, messages_to
from live_server import LiveServer, start_live_server

from app import create_app, links, passwordless
from app.connections import update_connection
from app.demo import ensure_demo_client
from app.extensions import db
from app.models import BrowserSession, Client, LoginTicket, OutboxMessage, User

PREVIEW_PASSWORD = "preview-password"
PREVIEW_AUTH = "Basic " + base64.b64encode(f"ops:{PREVIEW_PASSWORD}".encode()).decode()
SWEPT = {"DEMO": True, "DEV_OUTBOX": True, "PREVIEW_PASSWORD": PREVIEW_PASSWORD}
JSON_PREFIXES = ("/oauth/", "/userinfo", "/.well-known/", "/passwordless/")
EMAIL = "pat@example.com"
SIGNED_IN = "sam@example.com"
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
    callback: str
    authz: str  # the signed authorize request the email page carries
    ticket_id: str  # a live ticket sending a code and a link
    token: str  # that ticket's magic-link token
    binding: str  # the binding cookie of the browser that asked
    sso: str  # the SSO cookie of a signed-in browser
    message_id: int
    counts: dict[str, int]

    @property
    def app(self):
        return self.server.app

    def fresh(self) -> Seeded:
        """The same values with a new live ticket (code and link) for the same browser,
        so a hostile request meets a ticket no earlier case has ended."""
        with self.app.app_context():
            client = db.session.query(Client).filter_by(client_id=self.client_id).one()
            ticket = passwordless.start(
                "email",
                EMAIL,
                client=client,
                authorize_params=links.load_authorize_request(self.authz),
                binding_value=self.binding,
            )
            ticket_id = ticket.id
        link = messages_to(self.app, EMAIL)[-1].link
        return dataclasses.replace(self, ticket_id=ticket_id, token=link.rsplit("/", 1)[-1])

    def real(self, variable: str) -> str:
        """A valid value for a path variable."""
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
    relying = RelyingApp.register(app, connections=("email", "sms"))

    signed_in = LoginPage(app.test_client())
    done = signed_in.sign_in(SIGNED_IN, **relying.authorize_params())
    assert done.status_code == 302, done.get_data(as_text=True)[:500]
    sso = signed_in.client.get_cookie("latchkey_sso").value

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
    return Seeded(
        server=server,
        client_id=relying.client_id,
        callback=relying.callback,
        authz=authz,
        ticket_id=ticket_id,
        token=message.link.rsplit("/", 1)[-1],
        binding=asking.client.get_cookie("latchkey_binding").value,
        sso=sso,
        message_id=message_id,
        counts=_stored_counts(app),
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
    """Never a 5xx, never a traceback; our page or JSON, as the route speaks."""
    body = response.get_data(as_text=True)
    assert response.status_code < 500, f"{response.status_code} on {path}: {body[:300]}"
    assert unhandled() == [], f"unhandled error on {path}"
    for leak in LEAKS:
        assert leak not in body, f"{leak!r} in the answer to {path}"
    if 300 <= response.status_code < 400 or response.status_code == 204:
        return
    if path.startswith(JSON_PREFIXES):
        assert response.mimetype == "application/json", f"{response.mimetype} from {path}"
        json.loads(body)
    elif response.mimetype == "text/html" and response.status_code >= 400:
        assert "<!doctype html>" in body and 'class="lk-' in body, f"not our page: {body[:300]}"
    elif response.status_code >= 400:
        assert response.mimetype in ("application/json", "text/plain"), response.mimetype


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
    http = seeded.app.test_client(use_cookies=False)
    response = http.open(path, method=method, headers=headers, **kwargs)
    response.get_data()  # read (and keep) a streamed file before closing it
    response.close()
    return response


# --- Hostile values -----------------------------------------------------------------

# Path segments, as they appear in the URL (percent-encoded where a browser would).
HOSTILE_SEGMENTS = {
    "invalid-utf8": "%ff%fe",
    "nul": "%00",
    "crlf": "%0d%0aSet-Cookie:%20x=1",
    "traversal": "..%2f..%2fapp%2fconfig.py",
    "dotdot": "%2e%2e",
    "space": "%20",
    "unicode": quote("ünï🔑\u202e"),
    "huge": "A" * 4000,
    "markup": quote("<script>alert(1)</script>"),
    "zero": "0",
    "negative": "-1",
    "huge-number": "9" * 30,
}
# Real values, changed: a cut or extended ticket id or link token.
REAL_VARIANTS = {
    "real+invalid-utf8": lambda real: real + "%ff",
    "real-truncated": lambda real: real[: max(1, len(real) // 2)],
    "real+dot": lambda real: real + ".AAAA",
    "real+traversal": lambda real: real + "%2f..%2f..",
}

# Every name a route reads from a query or a form, and some it does not.
FIELD_NAMES = (
    "email",
    "phone_number",
    "country",
    "code",
    "number",
    "authz",
    "switch",
    "csrf_token",
    "notice",
    "lang",
    "client",
    "connection",
    "login_hint",
    "iss",
    "state",
    "error",
    "client_id",
    "client_secret",
    "redirect_uri",
    "response_type",
    "scope",
    "nonce",
    "prompt",
    "max_age",
    "ui_locales",
    "code_challenge",
    "code_challenge_method",
    "code_verifier",
    "grant_type",
    "refresh_token",
    "access_token",
    "id_token_hint",
    "post_logout_redirect_uri",
    "response_mode",
)


def _query(value: str, names=FIELD_NAMES) -> str:
    return "&".join(f"{name}={value}" for name in names)


QUERIES = {
    "invalid-utf8": _query("%ff%fe") + "&%ff%fe=%ff",
    "nul": _query("%00x%00"),
    "crlf": _query("%0d%0aSet-Cookie:%20x=1"),
    "huge": _query("A" * 4000),
    "repeated": "&".join(_query(str(n)) for n in range(3)),
    "unicode": _query(quote("１²³٣ünï🔑\u202e")),
    "garbled": "&&&===&%&%%&" + _query("%") + "&a[]=1&b[$ne]=x&=",
    "numbers": _query("-1") + "&max_age=99999999999999999999999",
    "real-client": lambda seeded: (
        f"response_type=code&client_id={seeded.client_id}&redirect_uri={seeded.callback}&"
        + _query("%ff%00", [n for n in FIELD_NAMES if n not in ("client_id", "redirect_uri")])
    ),
    "real-client-odd-values": lambda seeded: (
        f"response_type=code&client_id={seeded.client_id}&redirect_uri={seeded.callback}"
        "&scope=openid&code_challenge_method=S256&code_challenge="
        + "A" * 43
        + "&max_age="
        + quote("²")
        + "&prompt=none%20login&ui_locales="
        + quote("ünï ** -")
        + "&login_hint="
        + quote("\u202e@x")
        + "&connection=sms&response_mode=form_post"
    ),
}

# Header sets: cookies, Authorization, content negotiation.
HEADERS = {
    "garbage-cookies": lambda seeded: {
        "Cookie": "latchkey_binding=%ff%fe; latchkey_sso=\x00\x01; session=not.a.session"
    },
    "huge-cookies": lambda seeded: {
        "Cookie": f"latchkey_binding={'A' * 3000}; latchkey_sso={'B' * 3000}; "
        f"session=eyJ{'C' * 3000}.x.y"
    },
    "forged-session-cookie": lambda seeded: {
        "Cookie": "session=eyJjc3JmX3Rva2VuIjoieCJ9.Zz.bad; session=.eJwrzs8rSU0uKQYAEVAD2A"
    },
    "real-cookies-changed": lambda seeded: {
        "Cookie": f"latchkey_binding={seeded.binding}%ff; latchkey_sso={seeded.sso}\\x00"
    },
    "real-sso-cookie": lambda seeded: {"Cookie": f"latchkey_sso={seeded.sso}"},
    "basic-garbage": lambda seeded: {"Authorization": "Basic %%%not-base64%%%"},
    "basic-invalid-utf8": lambda seeded: {"Authorization": "Basic //79Ov/+"},  # \xff\xfe:\xff\xfe
    "basic-no-colon": lambda seeded: {"Authorization": "Basic bm9jb2xvbg=="},
    "bearer-garbage": lambda seeded: {"Authorization": "Bearer " + "x" * 5000},
    "bearer-non-ascii": lambda seeded: {"Authorization": "Bearer ÿþünï"},
    "bearer-empty": lambda seeded: {"Authorization": "Bearer"},
    "unknown-scheme": lambda seeded: {"Authorization": 'Digest username="\x7f"'},
    "negotiation": lambda seeded: {
        "Accept": "application/json;q=abc, */*;q=-1",
        "Accept-Language": "ÿþ;q=x, " + "x" * 3000 + ", *;q=1.5, -, zz-ZZ-x-private",
        "Origin": "https://ÿ.example",
        "Content-Type": "application/x-www-form-urlencoded; charset=ebcdic",
    },
}

# POST bodies: (content type, body). A callable gets the seeded values.
OVER_LIMIT = 64 * 1024 + 1


def _form(value: str, seeded: Seeded | None = None, **real: str) -> bytes:
    fields = {name: value for name in FIELD_NAMES} | real
    return "&".join(f"{name}={v}" for name, v in fields.items()).encode()


BODIES = {
    "invalid-utf8-raw": lambda s: (
        "application/x-www-form-urlencoded",
        _form("x").replace(b"=x", b"=\xff\xfe\xc3("),
    ),
    "invalid-utf8-encoded": lambda s: ("application/x-www-form-urlencoded", _form("%ff%fe")),
    "nul-crlf": lambda s: (
        "application/x-www-form-urlencoded",
        _form("%00%0d%0a", authz=s.authz, client_id=s.client_id),
    ),
    "long-values": lambda s: ("application/x-www-form-urlencoded", _form("9" * 1800)),
    "oversized": lambda s: ("application/x-www-form-urlencoded", b"email=" + b"a" * OVER_LIMIT),
    "repeated": lambda s: (
        "application/x-www-form-urlencoded",
        b"&".join(_form(str(n), authz=s.authz) for n in range(3)),
    ),
    "json-for-form": lambda s: (
        "application/json",
        json.dumps({"email": [1, 2], "code": {"$ne": None}, "authz": s.authz}).encode(),
    ),
    "json-list": lambda s: ("application/json", b'[["email", 1], [2], "code"]'),
    "json-string": lambda s: ("application/json", b'"email=a@b.example"'),
    "form-as-json": lambda s: ("application/json", _form("x")),
    "json-garbage": lambda s: ("application/json", b'{"email": "\xff\x00'),
    "multipart-no-boundary": lambda s: ("multipart/form-data", b"--x\r\nContent-Dispo"),
    "multipart-garbage": lambda s: (
        "multipart/form-data; boundary=zz",
        b'--zz\r\nContent-Disposition: form-data; name="email"\r\n\r\n\xff\xfe\r\n--zz',
    ),
    "multipart-files": lambda s: (
        "multipart/form-data; boundary=zz",
        b"".join(
            b'--zz\r\nContent-Disposition: form-data; name="%s"; filename="x.txt"\r\n'
            b"Content-Type: text/plain\r\n\r\n\xff\r\n" % name.encode()
            for name in FIELD_NAMES
            if name != "authz"
        )
        + b'--zz\r\nContent-Disposition: form-data; name="authz"\r\n\r\n'
        + s.authz.encode()
        + b"\r\n--zz--\r\n",
    ),
    "bogus-content-type": lambda s: ("application/x-what-ever; charset=utf-32", _form("x")),
    # Past the authorize-request check, into the domain: real signed request, odd input.
    "real-authz-odd-email": lambda s: (
        "application/x-www-form-urlencoded",
        _form(
            quote("a@b\u202e.com"),
            authz=s.authz,
            email=quote("\x00ünï@ex\u0430mple.com"),
            switch="1",
        ),
    ),
    "real-authz-odd-phone": lambda s: (
        "application/x-www-form-urlencoded",
        _form(
            "x",
            authz=s.authz,
            phone_number=quote("+１ (２０１) ５５５-０１２３ ext. ٣"),
            country=quote("ÜÜ"),
        ),
    ),
    "real-authz-huge-number": lambda s: (
        "application/x-www-form-urlencoded",
        _form("9" * 60, authz=s.authz, country="ZZ", phone_number="+" + "9" * 60),
    ),
    "odd-codes": lambda s: (
        "application/x-www-form-urlencoded",
        _form(quote("１２３４５６"), code=quote("٣٣٣٣٣٣"), number=quote("²³")),
    ),
}


# --- Pass 1: the app as deployed --------------------------------------------------------


@pytest.mark.parametrize("route", ROUTES, ids=_route_id)
def test_wrong_methods_are_refused_cleanly(guarded, unhandled, route):
    rule, method, _ = route
    path = _path(rule, guarded.real)
    allowed = {m for r, m, _ in ROUTES if r == rule}
    for wrong in sorted({"GET", "POST", "PUT", "DELETE", "PATCH"} - allowed):
        response = _send(guarded, wrong, path, data=_form("x"))
        assert_handled(response, path, unhandled)
        assert response.status_code == 405, (wrong, path, response.status_code)


@pytest.mark.parametrize("case", list(QUERIES))
@pytest.mark.parametrize("route", ROUTES, ids=_route_id)
def test_hostile_query_strings(guarded, unhandled, route, case):
    rule, method, _ = route
    query = QUERIES[case]
    query = query(guarded) if callable(query) else query
    path = _path(rule, guarded.real)
    headers = {}
    if case.startswith("real-client") and rule != "/logout":  # a signed-in browser
        headers["Cookie"] = f"latchkey_sso={guarded.sso}"
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
    cookie = {"Cookie": f"latchkey_binding={seeded.binding}"}
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
    response = http.get(
        "/authorize", query_string=query, headers={"Cookie": f"latchkey_sso={guarded.sso}"}
    )
    assert_handled(response, "/authorize", unhandled)
    assert response.status_code == 200, response.get_data(as_text=True)[-1500:]
    assert 'name="email"' in response.get_data(as_text=True)
