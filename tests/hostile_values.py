"""Hostile values for tests/test_hostile_input.py: path segments, query strings,
header sets and request bodies. A callable takes the seeded app's real values
(client_id, secret, callback, authz, binding, sso) to mix in.
"""

from __future__ import annotations

import base64
import json
from urllib.parse import quote

from app.config import DEFAULTS

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
    "provider",
    "identity",
    "return_to",
)


def query_of(value: str, names=FIELD_NAMES) -> str:
    """A query string with each of `names` at `value` (already encoded)."""
    return "&".join(f"{name}={value}" for name in names)


QUERIES = {
    "invalid-utf8": query_of("%ff%fe") + "&%ff%fe=%ff",
    "nul": query_of("%00x%00"),
    "crlf": query_of("%0d%0aSet-Cookie:%20x=1"),
    "huge": query_of("A" * 4000),
    "repeated": "&".join(query_of(str(n)) for n in range(3)),
    "unicode": query_of(quote("１²³٣ünï🔑\u202e")),
    "garbled": "&&&===&%&%%&" + query_of("%") + "&a[]=1&b[$ne]=x&=",
    "numbers": query_of("-1") + "&max_age=99999999999999999999999",
    "real-client": lambda seeded: (
        f"response_type=code&client_id={seeded.client_id}&redirect_uri={seeded.callback}&"
        + query_of("%ff%00", [n for n in FIELD_NAMES if n not in ("client_id", "redirect_uri")])
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
    "garbage-cookies": lambda seeded: seeded.cookie("%ff%fe", "\x00\x01", "not.a.session"),
    "huge-cookies": lambda seeded: seeded.cookie("A" * 3000, "B" * 3000, f"eyJ{'C' * 3000}.x.y"),
    "forged-session-cookie": lambda seeded: seeded.cookie(
        session="eyJjc3JmX3Rva2VuIjoieCJ9.Zz.bad"
    ),
    "real-cookies-changed": lambda seeded: seeded.cookie(
        f"{seeded.binding}%ff", f"{seeded.sso}\\x00", ".eJwrzs8rSU0uKQYAEVAD2A"
    ),
    "real-sso-cookie": lambda seeded: seeded.cookie(sso=seeded.sso),
    "basic-garbage": lambda seeded: {"Authorization": "Basic %%%not-base64%%%"},
    "basic-invalid-utf8": lambda seeded: {"Authorization": "Basic //79Ov/+"},  # \xff\xfe:\xff\xfe
    "basic-no-colon": lambda seeded: {"Authorization": "Basic bm9jb2xvbg=="},
    "basic-real-client-odd-secret": lambda seeded: {
        "Authorization": "Basic "
        + base64.b64encode(seeded.client_id.encode() + b":\xff\xfe\x00").decode()
    },
    "basic-real-client-huge-secret": lambda seeded: {
        "Authorization": "Basic "
        + base64.b64encode(f"{seeded.client_id}:{'s' * 6000}".encode()).decode()
    },
    "bearer-garbage": lambda seeded: {"Authorization": "Bearer " + "x" * 5000},
    "bearer-non-ascii": lambda seeded: {"Authorization": "Bearer ÿþünï"},
    "bearer-empty": lambda seeded: {"Authorization": "Bearer"},
    "unknown-scheme": lambda seeded: {"Authorization": 'Digest username="\x7f"'},
    "host-and-forwarding": lambda seeded: {
        "Host": "évil.example:99999",
        "X-Forwarded-For": "ÿ, 999.1.1.1, ::zz",
        "X-Forwarded-Proto": "gopher",
        "X-Forwarded-Host": "a b, , ÿ",
    },
    "negotiation": lambda seeded: {
        "Accept": "application/json;q=abc, */*;q=-1",
        "Accept-Language": "ÿþ;q=x, " + "x" * 3000 + ", *;q=1.5, -, zz-ZZ-x-private",
        "Origin": "https://ÿ.example",
        "Content-Type": "application/x-www-form-urlencoded; charset=ebcdic",
    },
}

# POST bodies: (content type, body). A callable gets the seeded values.
OVER_LIMIT = DEFAULTS["MAX_CONTENT_LENGTH"] + 1
EMAIL_FIELD = "pat@example.com"


def form_body(value: str, **real: str) -> bytes:
    """A url-encoded body with every field name at `value`, some at real values."""
    fields = {name: value for name in FIELD_NAMES} | real
    return "&".join(f"{name}={v}" for name, v in fields.items()).encode()


BODIES = {
    "invalid-utf8-raw": lambda s: (
        "application/x-www-form-urlencoded",
        form_body("x").replace(b"=x", b"=\xff\xfe\xc3("),
    ),
    "invalid-utf8-encoded": lambda s: ("application/x-www-form-urlencoded", form_body("%ff%fe")),
    "nul-crlf": lambda s: (
        "application/x-www-form-urlencoded",
        form_body("%00%0d%0a", authz=s.authz, client_id=s.client_id),
    ),
    "long-values": lambda s: ("application/x-www-form-urlencoded", form_body("9" * 1800)),
    "oversized": lambda s: ("application/x-www-form-urlencoded", b"email=" + b"a" * OVER_LIMIT),
    "repeated": lambda s: (
        "application/x-www-form-urlencoded",
        b"&".join(form_body(str(n), authz=s.authz) for n in range(3)),
    ),
    "json-for-form": lambda s: (
        "application/json",
        json.dumps({"email": [1, 2], "code": {"$ne": None}, "authz": s.authz}).encode(),
    ),
    "json-list": lambda s: ("application/json", b'[["email", 1], [2], "code"]'),
    "json-string": lambda s: ("application/json", b'"email=a@b.example"'),
    "form-as-json": lambda s: ("application/json", form_body("x")),
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
    "json-nested-past-recursion": lambda s: ("application/json", b"[" * 30000 + b"]" * 30000),
    # Auth0's API shapes (/passwordless/start, the OTP grant) with the wrong types.
    "json-api-wrong-types": lambda s: (
        "application/json",
        json.dumps(
            {
                "client_id": s.client_id,
                "connection": "email",
                "email": {"$ne": None},
                "phone_number": ["+14155552671"],
                "send": 1,
                "authParams": {"scope": ["openid"], "redirect_uri": 5, "state": None},
                "grant_type": "http://auth0.com/oauth/grant-type/passwordless/otp",
                "username": [EMAIL_FIELD],
                "otp": {"a": 1},
                "realm": "email",
            }
        ).encode(),
    ),
    "json-api-hostile-strings": lambda s: (
        "application/json",
        json.dumps(
            {
                "client_id": s.client_id,
                "connection": "sms",
                "phone_number": "+1\u0000415\r\n5552671" + "9" * 500,
                "email": "a@b.example\r\nBcc: x@y.example",
                "send": "code\u0000",
                "authParams": {"redirect_uri": "javascript:alert(1)", "nonce": "\ud800"},
                "grant_type": "http://auth0.com/oauth/grant-type/passwordless/otp",
                "username": "\ud800@example.com",
                "otp": "١٢٣٤٥٦",
                "realm": "sms",
            }
        ).encode(),
    ),
    "real-client-odd-grant": lambda s: (
        "application/x-www-form-urlencoded",
        form_body(
            quote("²\u202e"),
            client_id=s.client_id,
            client_secret=s.secret,
            grant_type="authorization_code",
            redirect_uri=quote(s.callback),
            code_verifier=quote("ü" * 50),
        ),
    ),
    "many-fields": lambda s: ("application/x-www-form-urlencoded", b"a=1&" * 15000),
    "bogus-content-type": lambda s: ("application/x-what-ever; charset=utf-32", form_body("x")),
    # Past the authorize-request check, into the domain: real signed request, odd input.
    "real-authz-odd-email": lambda s: (
        "application/x-www-form-urlencoded",
        form_body(
            quote("a@b\u202e.com"),
            authz=s.authz,
            email=quote("\x00ünï@ex\u0430mple.com"),
            switch="1",
        ),
    ),
    "real-authz-odd-phone": lambda s: (
        "application/x-www-form-urlencoded",
        form_body(
            "x",
            authz=s.authz,
            phone_number=quote("+１ (２０１) ５５５-０１２３ ext. ٣"),
            country=quote("ÜÜ"),
        ),
    ),
    "real-authz-huge-number": lambda s: (
        "application/x-www-form-urlencoded",
        form_body("9" * 60, authz=s.authz, country="ZZ", phone_number="+" + "9" * 60),
    ),
    "odd-codes": lambda s: (
        "application/x-www-form-urlencoded",
        form_body(quote("１２３４５６"), code=quote("٣٣٣٣٣٣"), number=quote("²³")),
    ),
}
