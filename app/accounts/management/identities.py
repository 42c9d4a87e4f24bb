"""Identities in the Management API: link a second user into a primary one, and unlink
an identity, with app/accounts/linking.py's rules (Auth0's account linking)."""

from __future__ import annotations

from typing import Any

from app.accounts import linking
from app.models import CONNECTIONS
from app.oidc.management import id_token_subject

from . import ApiError, bad_body, json_object, only_fields
from .users import find_user


def _secondary(body: Any):
    """The user to link, named by provider and user_id, or by `link_with`."""
    body = json_object(body)
    only_fields(body, ("provider", "user_id", "connection_id", "link_with"))
    if "link_with" in body:
        return _signed_in_secondary(body)
    provider, user_id = body.get("provider"), body.get("user_id")
    if provider not in CONNECTIONS:
        raise bad_body(f"'provider' must be one of {', '.join(CONNECTIONS)}.")
    if not isinstance(user_id, str) or not user_id:
        raise bad_body("'user_id' must be the secondary user's id.")
    connection_id = body.get("connection_id")
    if connection_id is not None and connection_id != f"con_{provider}":
        raise bad_body(f"'connection_id' must be con_{provider} for provider {provider}.")
    try:
        secondary = find_user(user_id)
    except ApiError:
        raise ApiError(404, "The secondary user does not exist.", "inexistent_user") from None
    if not any(i.connection == provider for i in secondary.identities):
        raise bad_body(f"The secondary user has no {provider} identity.")
    return secondary


def _signed_in_secondary(body: dict[str, Any]):
    """Auth0's `link_with`: the user an ID token of one of Latchkey's apps was issued for
    (the token names the user; the caller's update:users scope is the authority)."""
    if any(name in body for name in ("provider", "user_id", "connection_id")):
        raise bad_body("send either 'link_with' or provider and user_id, not both.")
    subject = id_token_subject(body["link_with"])
    if subject is None:
        raise bad_body(
            "'link_with' must be an unexpired ID token that this server issued to one of its apps."
        )
    try:
        return find_user(subject)
    except ApiError:
        raise ApiError(404, "The secondary user does not exist.", "inexistent_user") from None


def link(user_id: str, body: Any, *, by: str) -> list[dict[str, Any]]:
    """POST /api/v2/users/{id}/identities: the secondary user (provider and user_id, or
    the ID token `link_with`) joins this one, which keeps its user_id; returns the
    primary's identities."""
    primary = find_user(user_id)
    secondary = _secondary(body)
    try:
        linking.merge(primary, secondary, actor=by)
    except linking.CannotMerge:
        raise bad_body("Cannot link a user to itself, or a blocked user.") from None
    return linking.identities(primary)


def unlink(user_id: str, provider: str, identity_id: str, *, by: str) -> list[dict[str, Any]]:
    """DELETE /api/v2/users/{id}/identities/{provider}/{user_id}: the identity leaves
    and becomes a user of its own; returns the identities the user keeps."""
    user = find_user(user_id)
    try:
        linking.unlink(user, provider, identity_id, actor=by)
    except linking.IdentityNotFound:
        raise ApiError(404, "The identity does not exist.", "inexistent_identity") from None
    except linking.LastIdentity:
        raise ApiError(
            400, "The user's last identity cannot be unlinked.", "operation_not_supported"
        ) from None
    return linking.identities(user)
