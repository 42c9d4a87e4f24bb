"""Relying apps: register, change and remove clients, with the rules for their URLs.

Redirect URIs are only *validated* here, at registration; matching a request's
redirect_uri against the registered list happens at /authorize (app/oidc/clients.py).
"""

from __future__ import annotations

import ipaddress
import re
import secrets
from collections.abc import Iterable
from typing import Any
from urllib.parse import SplitResult, urlsplit

from sqlalchemy import delete, select, update

from app.accounts import events
from app.accounts.branding import FIELDS as BRANDING_FIELDS
from app.accounts.branding import InvalidBranding, validate_branding
from app.extensions import db
from app.models import (
    CLIENT_TYPES,
    CONNECTIONS,
    MANAGEMENT_SCOPES,
    AccessToken,
    AuthorizationCode,
    Client,
    LoginTicket,
    OutboxMessage,
    VerifiedSignIn,
    random_id,
    sha256_hex,
)

NAME_MAX = 200
URI_MAX = 2000
LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")
# RFC 8252 §8.3: native apps should use the loopback IP literal, not "localhost".
NATIVE_LOOPBACK_HOSTS = ("127.0.0.1", "::1")

_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*$")
_HOSTNAME = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\.?$")
_UPDATABLE = (
    "name",
    "callbacks",
    "origins",
    "logout_urls",
    "connections",
    "initiate_login_uri",
    "scopes",
    "cross_origin_loc",
    *BRANDING_FIELDS,
)


class InvalidClient(ValueError):
    """A client setting breaks a rule; the message says which and why."""


def new_client_id() -> str:
    """A random, URL-safe client_id (letters and digits only, so it never looks like an option)."""
    return random_id(24)


def find_client(client_id: str) -> Client | None:
    """The client with this client_id, if any."""
    if not client_id:
        return None
    return db.session.execute(select(Client).filter_by(client_id=client_id)).scalar_one_or_none()


def all_clients() -> list[Client]:
    """Every registered client, oldest first."""
    return list(db.session.execute(select(Client).order_by(Client.id)).scalars())


def create_client(
    name: str,
    callbacks: Iterable[str],
    *,
    client_type: str = "regular",
    origins: Iterable[str] = (),
    logout_urls: Iterable[str] = (),
    connections: Iterable[str] = ("email",),
    initiate_login_uri: str | None = None,
    scopes: Iterable[str] = (),
    cross_origin_loc: str | None = None,
) -> tuple[Client, str | None]:
    """Register a client; return it and its plaintext secret (None for public clients).

    A management (m2m) client needs no callback and gets the Management API `scopes`
    it may ask for. The secret is stored only as a hash, so this is the one time it
    can be shown.
    """
    client_type = validate_client_type(client_type)
    if client_type != "m2m" and scopes:
        raise InvalidClient("Only a management (m2m) client has Management API scopes.")
    client = Client(
        client_id=new_client_id(),
        name=validate_name(name),
        client_type=client_type,
        redirect_uris=validate_callbacks(callbacks, client_type),
        scopes=validate_scopes(scopes),
        web_origins=validate_origins(origins),
        logout_urls=validate_logout_urls(logout_urls),
        connections=validate_connections(connections),
        initiate_login_uri=validate_initiate_login_uri(initiate_login_uri),
        cross_origin_loc=validate_cross_origin_loc(cross_origin_loc),
    )
    secret = None
    if client_type in ("regular", "m2m"):
        secret = secrets.token_urlsafe(32)
        client.client_secret_hash = sha256_hex(secret)
    db.session.add(client)
    events.record(
        "admin.client_created", client_id=client.client_id, name=client.name, type=client_type
    )
    db.session.commit()
    return client, secret


def update_client(client: Client, *, by: str | None = None, **changes: Any) -> Client:
    """Change a client's name, callbacks, origins, logout URLs, connections,
    initiate-login URL ("" or None removes it), Management API scopes (m2m) or branding.

    Only the given keys change; every new value is validated before anything is stored.
    `by` names who asked, for the audit event (`m2m:<client_id>` for the Management API).
    """
    unknown = sorted(set(changes) - set(_UPDATABLE))
    if unknown:
        raise InvalidClient(
            f"Cannot change {', '.join(unknown)}; changeable: {', '.join(_UPDATABLE)}."
        )
    validated: dict[str, Any] = {}
    if "name" in changes:
        validated["name"] = validate_name(changes["name"])
    if "callbacks" in changes:
        validated["redirect_uris"] = validate_callbacks(changes["callbacks"], client.client_type)
    if "origins" in changes:
        validated["web_origins"] = validate_origins(changes["origins"])
    if "logout_urls" in changes:
        validated["logout_urls"] = validate_logout_urls(changes["logout_urls"])
    if "connections" in changes:
        validated["connections"] = validate_connections(changes["connections"])
    if "initiate_login_uri" in changes:
        validated["initiate_login_uri"] = validate_initiate_login_uri(changes["initiate_login_uri"])
    if "scopes" in changes:
        if not client.is_management:
            raise InvalidClient("Only a management (m2m) client has Management API scopes.")
        validated["scopes"] = validate_scopes(changes["scopes"])
    if "cross_origin_loc" in changes:
        validated["cross_origin_loc"] = validate_cross_origin_loc(changes["cross_origin_loc"])
    try:
        validated.update(validate_branding(changes))
    except InvalidBranding as error:
        raise InvalidClient(str(error)) from None
    if "logo_url" in validated:
        client.logo_sha256 = None  # a new URL is fetched again (logos.cache)
    for attribute, value in validated.items():
        setattr(client, attribute, value)
    who = {"by": by} if by else {}
    events.record(
        "admin.client_updated", client_id=client.client_id, changed=sorted(changes), **who
    )
    db.session.commit()
    return client


def rotate_secret(client: Client) -> str:
    """Give a regular or management client a new secret; the old one stops working at once."""
    if client.is_public:
        raise InvalidClient(
            f"A {client.client_type} client is public and has no secret to rotate "
            "(it uses PKCE instead)."
        )
    secret = secrets.token_urlsafe(32)
    client.client_secret_hash = sha256_hex(secret)
    events.record("admin.client_secret_rotated", client_id=client.client_id)
    db.session.commit()
    return secret


def delete_client(client: Client) -> None:
    """Remove a client with its pending login tickets, codes and tokens."""
    client_id = client.client_id
    tickets = select(LoginTicket.id).where(LoginTicket.client_pk == client.id)
    db.session.execute(
        update(OutboxMessage).where(OutboxMessage.ticket_id.in_(tickets)).values(ticket_id=None)
    )
    db.session.execute(delete(VerifiedSignIn).where(VerifiedSignIn.client_pk == client.id))
    db.session.execute(delete(LoginTicket).where(LoginTicket.client_pk == client.id))
    db.session.execute(delete(AccessToken).where(AccessToken.client_id == client_id))
    db.session.execute(delete(AuthorizationCode).where(AuthorizationCode.client_id == client_id))
    db.session.delete(client)
    events.record("admin.client_deleted", client_id=client_id, name=client.name)
    db.session.commit()


# Validation: each function returns the cleaned value or raises InvalidClient.


def validate_name(name: str) -> str:
    """1–200 printable characters, surrounding spaces removed."""
    name = (name or "").strip()
    if not name:
        raise InvalidClient("The client name must not be empty.")
    if len(name) > NAME_MAX:
        raise InvalidClient(f"The client name is {len(name)} characters; at most {NAME_MAX}.")
    if not name.isprintable():
        raise InvalidClient("The client name must not contain control characters.")
    return name


def validate_client_type(client_type: str) -> str:
    if client_type not in CLIENT_TYPES:
        raise InvalidClient(
            f"Unknown client type {client_type!r}; use one of {', '.join(CLIENT_TYPES)}."
        )
    return client_type


def validate_connections(connections: Iterable[str]) -> list[str]:
    """A non-empty subset of the known connections, duplicates removed, order kept."""
    if isinstance(connections, str):
        connections = connections.split(",")
    names = _unique(c.strip() for c in connections if c and c.strip())
    unknown = [c for c in names if c not in CONNECTIONS]
    if unknown:
        raise InvalidClient(
            f"Unknown connection {unknown[0]!r}; use {' and/or '.join(CONNECTIONS)}."
        )
    if not names:
        raise InvalidClient(f"Enable at least one connection ({', '.join(CONNECTIONS)}).")
    return names


def validate_scopes(scopes: Iterable[str]) -> list[str]:
    """Management API scopes (space- or comma-separated), each one Latchkey knows."""
    if isinstance(scopes, str):
        scopes = scopes.replace(",", " ").split()
    names = _unique(s.strip() for s in scopes if s and s.strip())
    unknown = [s for s in names if s not in MANAGEMENT_SCOPES]
    if unknown:
        raise InvalidClient(
            f"Unknown scope {unknown[0]!r}; use any of {', '.join(MANAGEMENT_SCOPES)}."
        )
    return names


def validate_callbacks(callbacks: Iterable[str], client_type: str) -> list[str]:
    """At least one callback URL, each valid for the client's type (a management client
    signs nobody in and needs none)."""
    if isinstance(callbacks, str):
        callbacks = [callbacks]
    uris = _unique(callbacks)
    if not uris and client_type == "m2m":
        return []
    if not uris:
        raise InvalidClient("Register at least one callback URL.")
    for uri in uris:
        validate_callback(uri, client_type)
    return uris


def validate_callback(uri: str, client_type: str) -> str:
    """One redirect URI, per RFC 6749 §3.1.2 and, for native apps, RFC 8252."""
    parts = _split(uri, "Callback URL")
    if parts.scheme in ("http", "https"):
        _require_canonical_web_callback(uri, parts)
    if parts.scheme == "https":
        _require_host(uri, parts, "Callback URL")
        return uri
    if parts.scheme == "http":
        _require_host(uri, parts, "Callback URL")
        if client_type == "native":
            if parts.hostname not in NATIVE_LOOPBACK_HOSTS:
                raise InvalidClient(
                    f"Callback URL {uri!r}: a native app may use http only on the loopback "
                    "address 127.0.0.1 or [::1] (not 'localhost', RFC 8252 §8.3)."
                )
        else:
            _require_loopback(uri, parts, "Callback URL")
        return uri
    if client_type != "native":
        raise InvalidClient(
            f"Callback URL {uri!r}: use https (http is allowed only for 127.0.0.1, [::1] "
            "or localhost during development)."
        )
    if "." not in parts.scheme:
        raise InvalidClient(
            f"Callback URL {uri!r}: a native app's private-use URI scheme must be a reverse "
            "domain name you control, such as com.example.app:/callback (RFC 8252 §7.1)."
        )
    if parts.username is not None or parts.password is not None:
        raise InvalidClient(f"Callback URL {uri!r} must not contain user information (user@).")
    rest = uri.split(":", 1)[1]
    if not rest.startswith("/") or not (parts.netloc or parts.path.strip("/")):
        raise InvalidClient(
            f"Callback URL {uri!r}: write a private-use scheme with a path, such as "
            f"{parts.scheme}:/callback (RFC 8252 §7.1)."
        )
    return uri


def _require_canonical_web_callback(uri: str, parts: SplitResult) -> None:
    """Callbacks are matched exactly, so each has one spelling: a lower-case scheme, a
    port from 1 to 65535 without leading zeros, and no empty query (a bare `?`)."""
    if not uri.startswith(f"{parts.scheme}:"):
        raise InvalidClient(f"Callback URL {uri!r}: write the scheme in lower case.")
    host_and_port = parts.netloc.rpartition("]")[2].rpartition("@")[2]
    has_port, port_text = ":" in host_and_port, host_and_port.partition(":")[2]
    if has_port and (port_text[:1] in ("", "0") or not port_text.isdigit()):
        raise InvalidClient(
            f"Callback URL {uri!r}: the port must be a number from 1 to 65535 "
            "without leading zeros."
        )
    if uri.endswith("?"):
        raise InvalidClient(f"Callback URL {uri!r} must not end with an empty query (?).")


def validate_origins(origins: Iterable[str]) -> list[str]:
    """Web origins for CORS: scheme://host[:port], lower-cased, no path."""
    return _unique(validate_origin(origin) for origin in origins)


def validate_origin(origin: str) -> str:
    parts = _web_url(origin, "Origin")
    if parts.path not in ("", "/") or parts.query or origin.endswith("?"):
        raise InvalidClient(
            f"Origin {origin!r} must be only scheme://host[:port], without a path or query."
        )
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    default_port = {"http": 80, "https": 443}[parts.scheme]
    port = f":{parts.port}" if parts.port not in (None, default_port) else ""
    return f"{parts.scheme}://{host}{port}"


def validate_logout_urls(urls: Iterable[str]) -> list[str]:
    """Where logout may send the browser back to: absolute http(s) URLs."""
    return _unique(validate_logout_url(url) for url in urls)


def validate_logout_url(url: str) -> str:
    _web_url(url, "Logout URL")
    return url


def validate_initiate_login_uri(uri: str | None) -> str | None:
    """Where a magic link opened on another device sends the browser so that the app
    starts a fresh sign-in there (OIDC third-party-initiated login): https, or http on
    loopback during development; "" or None means none."""
    if uri is None or uri == "":
        return None
    _web_url(uri, "Initiate-login URL")
    return uri


def validate_cross_origin_loc(uri: str | None) -> str | None:
    """The app's cross-origin verification page (Auth0's "Cross-Origin Verification
    Fallback URL"): https, or http on loopback; used only while its origin is one of the
    app's web origins. "" or None means none."""
    if uri is None or uri == "":
        return None
    _web_url(uri, "Cross-origin verification URL")
    return uri


def _web_url(uri: str, what: str) -> SplitResult:
    """An absolute https URL, or http on a loopback host (development)."""
    parts = _split(uri, what)
    if parts.scheme not in ("http", "https"):
        raise InvalidClient(f"{what} {uri!r} must start with https:// (or http:// locally).")
    _require_host(uri, parts, what)
    if parts.scheme == "http":
        _require_loopback(uri, parts, what)
    return parts


def _split(uri: str, what: str) -> SplitResult:
    """Parse an absolute URI, refusing what no registered URL may contain."""
    if not isinstance(uri, str) or not uri.strip():
        raise InvalidClient(f"{what} must not be empty.")
    if len(uri) > URI_MAX:
        raise InvalidClient(f"{what} is {len(uri)} characters long; at most {URI_MAX}.")
    if any(ch.isspace() or not ch.isprintable() for ch in uri):
        raise InvalidClient(f"{what} {uri!r} must not contain spaces or control characters.")
    if "*" in uri:
        raise InvalidClient(f"{what} {uri!r} must not contain wildcards (*); list each URL.")
    if "#" in uri:
        raise InvalidClient(f"{what} {uri!r} must not contain a fragment (#).")
    if "\\" in uri:
        raise InvalidClient(f"{what} {uri!r} must not contain a backslash.")
    try:
        parts = urlsplit(uri)
        _ = parts.port  # parsing the port raises on garbage
    except ValueError:
        raise InvalidClient(f"{what} {uri!r} is not a valid URL.") from None
    scheme_text = uri.split(":", 1)[0] if ":" in uri else ""
    if not parts.scheme or not _SCHEME.match(scheme_text.lower()):
        raise InvalidClient(
            f"{what} {uri!r} must be an absolute URL with a scheme, such as "
            "https://app.example.com/callback."
        )
    return parts


def _require_host(uri: str, parts: SplitResult, what: str) -> None:
    if not parts.netloc or not uri.lower().startswith(f"{parts.scheme}://"):
        raise InvalidClient(f"{what} {uri!r} must include a host, such as https://app.example.com.")
    if "@" in parts.netloc:
        raise InvalidClient(f"{what} {uri!r} must not contain user information (user@).")
    host = parts.hostname or ""
    if not host:
        raise InvalidClient(f"{what} {uri!r} must include a host.")
    if ":" in host:  # IPv6 literal; urlsplit has already checked the brackets
        _check_ipv6(uri, host, what)
    elif not _HOSTNAME.match(host):
        raise InvalidClient(f"{what} {uri!r} has an invalid host name {host!r}.")


def _check_ipv6(uri: str, host: str, what: str) -> None:
    try:
        ipaddress.IPv6Address(host)
    except ValueError:
        raise InvalidClient(f"{what} {uri!r} has an invalid IPv6 address.") from None


def _require_loopback(uri: str, parts: SplitResult, what: str) -> None:
    if parts.hostname not in LOOPBACK_HOSTS:
        raise InvalidClient(
            f"{what} {uri!r} must use https; http is allowed only for 127.0.0.1, [::1] "
            "or localhost during development."
        )


def _unique(values: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for value in values:
        seen.setdefault(value, None)
    return list(seen)
