"""The Management API's rules (a subset of Auth0's /api/v2): what each call may read
and change, in Auth0's names and shapes. The views in app/web/management*.py only read
the request and hand these functions plain values; errors are `ApiError`s that the
views answer in Auth0's shape ({statusCode, error, message, errorCode}).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select

from app.extensions import db

PER_PAGE_DEFAULT = 50
PER_PAGE_MAX = 100
# Auth0 serves at most the first 1000 results of a search; so does Latchkey.
RESULTS_MAX = 1000


class ApiError(Exception):
    """A refused Management API call: HTTP status, message and Auth0's errorCode."""

    def __init__(self, status: int, message: str, error_code: str):
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_code = error_code


def bad_query(message: str) -> ApiError:
    return ApiError(400, f"Query validation error: {message}", "invalid_query_string")


def bad_body(message: str) -> ApiError:
    return ApiError(400, f"Payload validation error: {message}", "invalid_body")


def iso(moment: datetime | None) -> str | None:
    """A stored (naive UTC) time as Auth0 writes it: 2026-11-30T06:00:00.000Z."""
    return moment.isoformat(timespec="milliseconds") + "Z" if moment else None


@dataclass(frozen=True)
class Paging:
    """Auth0's offset paging: `page` (from 0), `per_page` (1–100), `include_totals`."""

    page: int = 0
    per_page: int = PER_PAGE_DEFAULT
    include_totals: bool = False

    @property
    def offset(self) -> int:
        return self.page * self.per_page

    def answer(self, key: str, items: list[Any], total: int | Select) -> Any:
        """The items as a bare array, or with include_totals as Auth0's object. `total`
        is a number, or the SELECT of every result, counted only when asked for."""
        if not self.include_totals:
            return items
        if isinstance(total, Select):
            total = db.session.scalar(select(func.count()).select_from(total.subquery()))
        return {
            "start": self.offset,
            "limit": self.per_page,
            "length": len(items),
            "total": total,
            key: items,
        }


def whole_number(args: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    """A query parameter that must be a whole number from low to high."""
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        raise bad_query(f"'{name}' must be a whole number from {low} to {high}.")
    value = int(raw)
    if not low <= value <= high:
        raise bad_query(f"'{name}' must be a whole number from {low} to {high}.")
    return value


def flag(args: Mapping[str, str], name: str) -> bool:
    """A query parameter that is true or false (false when absent)."""
    raw = args.get(name)
    if raw in (None, "", "false"):
        return False
    if raw == "true":
        return True
    raise bad_query(f"'{name}' must be true or false.")


def paging(args: Mapping[str, str]) -> Paging:
    """Read page, per_page and include_totals; the page may not reach past the first
    1000 results."""
    per_page = whole_number(args, "per_page", PER_PAGE_DEFAULT, 1, PER_PAGE_MAX)
    page = whole_number(args, "page", 0, 0, RESULTS_MAX)
    if page * per_page >= RESULTS_MAX and page:
        raise bad_query(f"only the first {RESULTS_MAX} results can be paged through.")
    return Paging(page=page, per_page=per_page, include_totals=flag(args, "include_totals"))


def json_object(body: Any) -> dict[str, Any]:
    """The request body must be a JSON object."""
    if not isinstance(body, dict):
        raise bad_body("the body must be a JSON object.")
    return body


def only_fields(body: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
    """Refuse fields this call cannot change, naming them."""
    unknown = sorted(str(k)[:40] for k in body if k not in allowed)
    if unknown:
        raise bad_body(
            f"Additional properties not allowed: {', '.join(unknown)} "
            f"(this call changes {', '.join(allowed)})."
        )


def string_list(value: Any, name: str) -> list[str]:
    """A JSON array of strings."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise bad_body(f"'{name}' must be an array of strings.")
    return value
