"""Connections in the Management API: the email and sms connections, with their
settings in Auth0's passwordless `options` shape, plus Latchkey's own settings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.accounts import clients as client_rules
from app.accounts import connections as connection_rules
from app.extensions import db
from app.models import CONNECTIONS, Client, Connection

from . import ApiError, bad_body, json_object, only_fields, paging, string_list

ID_PREFIX = "con_"
# options key → update_connection keyword (Latchkey's own settings, same names)
OWN_OPTIONS = ("send", "max_attempts", "allowed_countries", "default_country", "daily_budget")


def connection_id(name: str) -> str:
    return f"{ID_PREFIX}{name}"


def _options(connection: Connection) -> dict[str, Any]:
    options: dict[str, Any] = {
        "name": connection.name,
        "disable_signup": not connection.signup_allowed,
        "brute_force_protection": True,
        "totp": {"time_step": connection.ttl_seconds, "length": connection.code_length},
        "send": connection.send,
        "max_attempts": connection.max_attempts,
    }
    if connection.name == "email":
        options["email"] = {"from": connection.sender, "syntax": "liquid"}
    else:
        options |= {
            "from": connection.sender,
            "syntax": "liquid",
            "allowed_countries": list(connection.allowed_countries or []),
            "default_country": connection.default_country,
            "daily_budget": connection.daily_budget,
        }
    return options


def connection_json(connection: Connection) -> dict[str, Any]:
    """A connection in Auth0's shape; enabled_clients lists the apps that offer it."""
    enabled = [c.client_id for c in _apps() if connection.name in c.enabled_connections]
    return {
        "id": connection_id(connection.name),
        "name": connection.name,
        "strategy": connection.name,
        "realms": [connection.name],
        "is_domain_connection": False,
        "enabled_clients": enabled,
        "options": _options(connection),
    }


def _apps() -> list[Client]:
    """The clients people sign in to (not management clients), oldest first."""
    query = db.session.query(Client).filter(Client.client_type != "m2m").order_by(Client.id)
    return list(query)


def _enabling(connection: Connection, client_ids: Any) -> dict[Client, list[str]]:
    """What offering the connection to exactly these apps (Auth0's enabled_clients)
    changes: each app whose connections change, with its new ones. Every app keeps at
    least one connection."""
    wanted = set(string_list(client_ids, "enabled_clients"))
    apps = {c.client_id: c for c in _apps()}
    unknown = sorted(wanted - set(apps))
    if unknown:
        raise bad_body(f"'enabled_clients' names no app: {unknown[0][:64]}.")
    changes = {}
    for client_id, app in apps.items():
        names = [n for n in app.enabled_connections if n != connection.name]
        if client_id in wanted:
            names = [n for n in CONNECTIONS if n in names or n == connection.name]
        if names != app.enabled_connections:
            if not names:
                raise bad_body(f"App {client_id} would have no connection left.")
            changes[app] = names
    return changes


def list_connections(args: Mapping[str, str]) -> Any:
    """GET /api/v2/connections: both connections. With `take` or `from`, Auth0's
    checkpoint shape ({connections, next}); otherwise page/per_page/include_totals."""
    found = [connection_json(connection_rules.get_connection(n)) for n in CONNECTIONS]
    strategy = args.get("strategy") or args.get("name")
    if strategy:
        found = [c for c in found if c["name"] == strategy]
    if "take" in args or "from" in args:
        return {"connections": found}
    pages = paging(args)
    return pages.answer(
        "connections", found[pages.offset : pages.offset + pages.per_page], len(found)
    )


def find_connection(id_: str) -> Connection:
    """The connection with this id (con_email, con_sms), or a 404."""
    name = id_.removeprefix(ID_PREFIX) if (id_ or "").startswith(ID_PREFIX) else ""
    if name not in CONNECTIONS:
        raise ApiError(404, "The connection does not exist.", "inexistent_connection")
    return connection_rules.get_connection(name)


def _changes(connection: Connection, options: dict[str, Any]) -> dict[str, Any]:
    """update_connection keywords from an `options` object. Settings Latchkey does not
    change through the API may be sent back unchanged (a GET, edited, PATCHed)."""
    current = _options(connection)
    changes: dict[str, Any] = {}
    for key, value in options.items():
        if key == "totp":
            if not isinstance(value, dict):
                raise bad_body("'options.totp' must be an object.")
            only_fields(value, ("time_step", "length"))
            if "time_step" in value:
                changes["ttl_seconds"] = value["time_step"]
            if "length" in value:
                changes["code_length"] = value["length"]
        elif key == "disable_signup":
            if not isinstance(value, bool):
                raise bad_body("'options.disable_signup' must be true or false.")
            changes["signup_allowed"] = not value
        elif key in OWN_OPTIONS and key in current:
            changes[key] = _own_option(key, value)
        elif key in current and value == current[key]:
            continue
        else:
            raise bad_body(f"'options.{str(key)[:40]}' cannot be changed through the API.")
    return changes


_OWN_TYPES = {
    "send": (str,),
    "max_attempts": (int,),
    "allowed_countries": (list,),
    "default_country": (str, type(None)),
    "daily_budget": (int, type(None)),
}


def _own_option(key: str, value: Any) -> Any:
    """A Latchkey setting of the right JSON type (its range is the rules' to check)."""
    if isinstance(value, bool) or not isinstance(value, _OWN_TYPES[key]):
        raise bad_body(f"'options.{key}' has the wrong type.")
    if key == "allowed_countries" and not all(isinstance(c, str) for c in value):
        raise bad_body("'options.allowed_countries' must be an array of country codes.")
    if key == "default_country" and value is None:
        return ""  # none
    return value


def update_connection(id_: str, body: Any, *, by: str) -> dict[str, Any]:
    """PATCH /api/v2/connections/{id}: the given `options` change, the rest stay
    (Auth0 replaces the whole object; Latchkey merges, so nothing is lost);
    `enabled_clients` names every app that offers the connection."""
    body = json_object(body)
    only_fields(body, ("options", "enabled_clients"))
    connection = find_connection(id_)
    options = body.get("options", {})
    if not isinstance(options, dict):
        raise bad_body("'options' must be an object.")
    enabling = _enabling(connection, body["enabled_clients"]) if "enabled_clients" in body else {}
    changes = _changes(connection, options)
    if changes:
        try:
            connection_rules.update_connection(connection.name, by=by, **changes)
        except connection_rules.InvalidSetting as error:
            db.session.rollback()
            raise bad_body(str(error)) from None
    for app, names in enabling.items():
        client_rules.update_client(app, by=by, connections=names)
    return connection_json(connection)
