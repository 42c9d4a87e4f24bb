"""Users in the Management API: search by email or phone, read (with Auth0's `fields`
and `sort`), block, unblock, delete."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.accounts import blocking, linking
from app.extensions import db
from app.models import Identity, User
from app.signin.addresses import InvalidAddress, normalize_email
from app.signin.phones import InvalidPhone, parse_phone

from . import ApiError, bad_body, bad_query, iso, json_object, only_fields, paging
from .fields import fields
from .user_order import ordered

# Auth0's v3 search syntax, the part Latchkey answers: one field, exact match.
_QUERY = re.compile(r'^\s*(email|phone_number|user_id):(?:"([^"]*)"|([^\s"]+))\s*$')
_FIELD_CONNECTION = {"email": "email", "phone_number": "sms"}
# The fields of a user (user_json), which `fields` may name.
USER_FIELDS = (
    "user_id",
    "email",
    "email_verified",
    "phone_number",
    "phone_verified",
    "created_at",
    "updated_at",
    "last_login",
    "blocked",
    "identities",
)


def user_json(user: User) -> dict[str, Any]:
    """A user in Auth0's shape: `user_id` is the `sub` of its ID tokens."""
    data: dict[str, Any] = {
        "user_id": user.sub,
        "created_at": iso(user.created_at),
        "updated_at": iso(user.last_login_at or user.created_at),
        "blocked": bool(user.blocked),
        "identities": linking.identities(user),
    }
    email, phone = user.identity_for("email"), user.identity_for("sms")
    if email is not None:
        data |= {"email": email.value, "email_verified": bool(email.verified)}
    if phone is not None:
        data |= {"phone_number": phone.value, "phone_verified": bool(phone.verified)}
    if user.last_login_at:
        data["last_login"] = iso(user.last_login_at)
    return data


def _normalized(field: str, value: str) -> str:
    """An address or number as stored (lower case; E.164), when it reads as one."""
    value = value.strip()
    try:
        if field == "email":
            return normalize_email(value)
        return parse_phone(value, None, mobile_only=False).e164
    except (InvalidAddress, InvalidPhone):
        return value.lower()


def _search(q: str):
    """The SELECT of users a `q` asks for (all users when q is empty)."""
    query = select(User)
    if not q.strip():
        return query
    if len(q) > 400:
        raise bad_query("'q' is too long.")
    match = _QUERY.match(q)
    if match is None:
        raise bad_query(
            'search with email:"…", phone_number:"…" or user_id:"…" (one field, exact match).'
        )
    field, value = match.group(1), match.group(2) if match.group(2) is not None else match.group(3)
    if field == "user_id":
        return query.where(User.sub == value)
    value = _normalized(field, value)
    # Stored addresses are lower case and numbers E.164: the (connection, value) index
    found = select(Identity.user_id).where(
        Identity.connection == _FIELD_CONNECTION[field], Identity.value == value
    )
    return query.where(User.id.in_(found))


def list_users(args: Mapping[str, str]) -> Any:
    """GET /api/v2/users: `q` (search_engine v3; v1 and v2 are gone at Auth0 too),
    page, per_page, include_totals, fields, include_fields, and `sort` (oldest user
    first without)."""
    if args.get("search_engine") not in (None, "", "v3"):
        raise bad_query("'search_engine' must be v3.")
    pages, shown = paging(args), fields(args, USER_FIELDS)
    query = _search(args.get("q", ""))
    page = ordered(query, args.get("sort")).offset(pages.offset).limit(pages.per_page)
    found = db.session.scalars(page.options(selectinload(User.identities))).all()
    return pages.answer("users", [shown.pick(user_json(u)) for u in found], query)


def users_by_email(args: Mapping[str, str]) -> list[dict[str, Any]]:
    """GET /api/v2/users-by-email: every user with this `email` (case-insensitive),
    with `fields` and `include_fields`."""
    email, shown = args.get("email"), fields(args, USER_FIELDS)
    if not email or not email.strip():
        raise bad_query("'email' is required.")
    if len(email) > 320:
        raise bad_query("'email' is too long.")
    if '"' in email:
        return []  # no stored address holds a quote mark
    found = db.session.scalars(_search(f'email:"{email}"').order_by(User.id))
    return [shown.pick(user_json(u)) for u in found]


def get_user(user_id: str, args: Mapping[str, str]) -> dict[str, Any]:
    """GET /api/v2/users/{id}, with `fields` and `include_fields`."""
    shown = fields(args, USER_FIELDS)
    return shown.pick(user_json(find_user(user_id)))


def find_user(user_id: str) -> User:
    """The user whose `sub` this is, or a 404."""
    user = None
    if user_id and len(user_id) <= 64:
        user = db.session.scalars(select(User).filter_by(sub=user_id)).first()
    if user is None:
        raise ApiError(404, "The user does not exist.", "inexistent_user")
    return user


def update_user(user_id: str, body: Any, *, by: str) -> dict[str, Any]:
    """PATCH /api/v2/users/{id}: `blocked` true or false (a block ends every session
    and token of the user)."""
    body = json_object(body)
    only_fields(body, ("blocked",))
    user = find_user(user_id)
    if "blocked" in body:
        if not isinstance(body["blocked"], bool):
            raise bad_body("'blocked' must be true or false.")
        blocking.set_blocked(user, body["blocked"], by=by)
    return user_json(user)


def delete_user(user_id: str, *, by: str) -> None:
    """DELETE /api/v2/users/{id}: the user with its identities, sessions and tokens
    (app/accounts/linking.py's delete); the audit events stay."""
    linking.delete(find_user(user_id), actor=by)
