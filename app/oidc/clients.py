"""Relying apps as Authlib sees them, and exact redirect_uri matching."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from sqlalchemy import bindparam, select

from ..extensions import db
from ..models import AccessToken, Client, sha256_hex
from . import bearer
from .json_body import json_parameters
from .params import CLIENT_CREDENTIALS, OTP_GRANT_TYPE, SCOPES_SUPPORTED


def _is_loopback_ip(host: str | None) -> bool:
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


def redirect_uri_matches(client: Client, uri: str) -> bool:
    """Exact match against the registered list; for native apps a loopback IP callback
    may use any port (RFC 8252 §7.3), written the one canonical way: lower-case
    `http://`, a port from 1 to 65535 without leading zeros, no empty `?`."""
    if not uri or len(uri) > 2000:
        return False
    if uri in client.redirect_uris:
        return True
    if client.client_type != "native":
        return False
    port = _loopback_port(uri)
    if port is None:
        return False
    return any(_with_port(registered, port) == uri for registered in client.redirect_uris)


def _loopback_port(uri: str) -> int | None:
    """The port of an `http://<loopback IP>:<port>/…` callback, or None."""
    try:
        asked = urlsplit(uri)
        port = asked.port
    except ValueError:
        return None
    if not uri.startswith("http://") or not _is_loopback_ip(asked.hostname) or port is None:
        return None
    return port if 0 < port else None


def _with_port(registered: str, port: int) -> str | None:
    """A registered loopback callback rewritten with another port, canonically."""
    if not registered.startswith("http://"):
        return None
    known = urlsplit(registered)
    if not _is_loopback_ip(known.hostname):
        return None
    host = f"[{known.hostname}]" if ":" in (known.hostname or "") else known.hostname
    query = f"?{known.query}" if known.query else ""
    return f"http://{host}:{port}{known.path}{query}"


class OAuthClient:
    """Authlib's view of a Client row."""

    def __init__(self, client: Client):
        self.row = client
        self.client_id = client.client_id
        self.client_metadata = {"post_logout_redirect_uris": list(client.logout_urls or [])}

    def get_client_id(self) -> str:
        return self.row.client_id

    def get_default_redirect_uri(self) -> None:
        return None  # redirect_uri is always required

    def get_allowed_scope(self, scope: str | None) -> str:
        """What of `scope` this client may have. A management client gets its granted
        Management API scopes, all of them when it names none (as Auth0 does)."""
        if self.row.is_management:
            granted = list(self.row.scopes or [])
            asked = scope.split() if scope else granted
            return " ".join(s for s in granted if s in asked)
        if not scope:
            return ""
        return " ".join(s for s in scope.split() if s in SCOPES_SUPPORTED)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri_matches(self.row, redirect_uri)

    def check_client_secret(self, client_secret: str) -> bool:
        return self.row.check_secret(client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if self.row.is_public:
            return method == "none"
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code" and not self.row.is_management

    def check_grant_type(self, grant_type: str) -> bool:
        """A management client uses client_credentials only; no other client may."""
        if self.row.is_management:
            return grant_type == CLIENT_CREDENTIALS
        return grant_type in ("authorization_code", "refresh_token", OTP_GRANT_TYPE)


# session.info key: client_id -> the client rows this session has read.
KNOWN_CLIENTS = "latchkey.clients"
# Built once: a legacy Query built afresh for every lookup cost as much as running it.
CLIENT_BY_CLIENT_ID = select(Client).where(Client.client_id == bindparam("client_id")).limit(1)


def query_client(client_id: str | None) -> OAuthClient | None:
    if not client_id or len(client_id) > 64:
        return None
    row = _client_row(client_id)
    return OAuthClient(row) if row else None


def _client_row(client_id: str) -> Client | None:
    """A client by client_id, read from the database once per session (one request):
    Authlib asks for it again at each stage of a request (validate, then respond), and
    a client_id never moves to another row, so later asks take the row already read,
    as does one the session loaded otherwise (a ticket's client)."""
    known = db.session.info.setdefault(KNOWN_CLIENTS, {})
    row = known.get(client_id)
    if row is not None and row in db.session:  # not deleted, the session not closed
        return row
    row = (
        _loaded(client_id)
        or db.session.scalars(CLIENT_BY_CLIENT_ID, {"client_id": client_id}).first()
    )
    if row is not None:
        known[client_id] = row
    return row


def _loaded(client_id: str) -> Client | None:
    """The client if this session already holds its row (no query)."""
    for row in db.session.identity_map.values():
        if isinstance(row, Client) and row.client_id == client_id:
            return row
    return None


def is_registered_origin(origin: str, client_id: str | None = None) -> bool:
    """Whether a browser origin is among a client's registered web_origins (CORS).

    With a client_id, that client's list; without one (a preflight, which carries no
    credentials), any client's list."""
    if not origin or len(origin) > 300:
        return False
    origin = origin.lower()
    if client_id is not None:
        client = query_client(client_id)
        return client is not None and origin in (client.row.web_origins or [])
    return any(origin in (origins or []) for (origins,) in db.session.query(Client.web_origins))


def client_id_of_request(flask_request) -> str | None:
    """The client a token or userinfo request speaks for: its client_id (form or Basic
    auth), or the client its bearer token was issued to. None for a /userinfo request
    without a valid token: its 401 may go to any registered origin (the app must learn
    that its token is gone)."""
    if flask_request.path == "/userinfo":
        token = bearer.token_of_request(flask_request)
        if not token or len(token) > 200:
            return None
        row = db.session.query(AccessToken).filter_by(token_hash=sha256_hex(token)).first()
        return row.client_id if row else None
    if flask_request.authorization and flask_request.authorization.username:
        return flask_request.authorization.username
    body = json_parameters(flask_request)  # Auth0's SDKs post JSON
    return (body if body is not None else flask_request.form).get("client_id") or ""
