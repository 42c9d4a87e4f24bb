"""Auth0's `sort` for GET /api/v2/users: `field:1` (ascending) or `field:-1`
(descending), on the fields Auth0 sorts by that a Latchkey user has. Users without
the field (never signed in, no email address) come last either way; equal values keep
the oldest user first."""

from __future__ import annotations

import re
from collections.abc import Callable

from sqlalchemy import ColumnElement, Select, func, select

from app.models import Identity, User

from . import bad_query

_SORT = re.compile(r"^([a-z_]{1,40}):(1|-1)$")


def _identity_value(connection: str) -> ColumnElement:
    """The address (or number) a user shows for a connection, as user_json does: the one
    the user was made with, else its oldest of that connection."""
    of_user = select(Identity.value).where(
        Identity.user_id == User.id, Identity.connection == connection
    )
    own = of_user.where(Identity.subject == User.sub).limit(1)
    oldest = of_user.order_by(Identity.id).limit(1)
    return func.coalesce(
        own.correlate(User).scalar_subquery(), oldest.correlate(User).scalar_subquery()
    )


SORTABLE: dict[str, Callable[[], ColumnElement]] = {
    "user_id": lambda: User.sub,
    "email": lambda: _identity_value("email"),
    "phone_number": lambda: _identity_value("sms"),
    "created_at": lambda: User.created_at,
    "updated_at": lambda: func.coalesce(User.last_login_at, User.created_at),
    "last_login": lambda: User.last_login_at,
}


def ordered(query: Select, sort: str | None) -> Select:
    """The users' SELECT in the order `sort` asks for (oldest user first without)."""
    if not sort:
        return query.order_by(User.id)
    match = _SORT.match(sort)
    if match is None or match.group(1) not in SORTABLE:
        raise bad_query(
            f"'sort' must be field:1 or field:-1, the field one of {', '.join(SORTABLE)}."
        )
    value = SORTABLE[match.group(1)]()
    direction = value.asc() if match.group(2) == "1" else value.desc()
    return query.order_by(direction.nulls_last(), User.id)
