"""Clients (apps) in the Management API: list, read, and change their URLs and name.
A client's secret, or its hash, is never shown."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from app.accounts import clients as client_rules
from app.extensions import db
from app.models import Client

from . import ApiError, bad_body, iso, json_object, only_fields, paging, string_list

APP_TYPES = {"regular": "regular_web", "spa": "spa", "native": "native", "m2m": "non_interactive"}
# Auth0's field → Latchkey's update_client keyword
UPDATABLE = {
    "name": "name",
    "callbacks": "callbacks",
    "allowed_logout_urls": "logout_urls",
    "web_origins": "origins",
    "initiate_login_uri": "initiate_login_uri",
}


def client_json(client: Client) -> dict[str, Any]:
    """A client in Auth0's shape (never its secret)."""
    if client.is_management:
        grant_types = ["client_credentials"]
        auth_method = "client_secret_post"
    else:
        grant_types = ["authorization_code", "refresh_token", "passwordless_otp"]
        auth_method = "none" if client.is_public else "client_secret_post"
    return {
        "client_id": client.client_id,
        "name": client.name,
        "app_type": APP_TYPES.get(client.client_type, client.client_type),
        "is_first_party": True,
        "callbacks": list(client.redirect_uris or []),
        "allowed_logout_urls": list(client.logout_urls or []),
        "web_origins": list(client.web_origins or []),
        "allowed_origins": list(client.web_origins or []),
        "initiate_login_uri": client.initiate_login_uri,
        "logo_uri": client.logo_url,
        "grant_types": grant_types,
        "token_endpoint_auth_method": auth_method,
        "client_metadata": {"created_at": iso(client.created_at) or ""},
    }


def list_clients(args: Mapping[str, str]) -> Any:
    """GET /api/v2/clients: page, per_page, include_totals; oldest first."""
    pages = paging(args)
    query = select(Client)
    found = db.session.scalars(
        query.order_by(Client.id).offset(pages.offset).limit(pages.per_page)
    ).all()
    return pages.answer("clients", [client_json(c) for c in found], query)


def find_client(client_id: str) -> Client:
    """The client with this client_id, or a 404."""
    client = client_rules.find_client(client_id) if len(client_id or "") <= 64 else None
    if client is None:
        raise ApiError(404, "The client does not exist.", "inexistent_client")
    return client


def update_client(client_id: str, body: Any, *, by: str) -> dict[str, Any]:
    """PATCH /api/v2/clients/{id}: name, callbacks, allowed_logout_urls, web_origins,
    initiate_login_uri; each checked by the client rules before anything changes."""
    body = json_object(body)
    only_fields(body, tuple(UPDATABLE))
    client = find_client(client_id)
    changes: dict[str, Any] = {}
    for field, keyword in UPDATABLE.items():
        if field not in body:
            continue
        value = body[field]
        if field in ("name", "initiate_login_uri"):
            if not isinstance(value, str) and not (field == "initiate_login_uri" and value is None):
                raise bad_body(f"'{field}' must be a string.")
            changes[keyword] = value
        else:
            changes[keyword] = string_list(value, field)
    if changes:
        try:
            client_rules.update_client(client, by=by, **changes)
        except client_rules.InvalidClient as error:
            db.session.rollback()
            raise bad_body(str(error)) from None
    return client_json(client)
