"""Auth0's `fields` and `include_fields` query parameters: which fields of each item
an answer sends. `fields` is a comma-separated list; with include_fields=true (the
default) only those fields are sent, with include_fields=false every other one. A
name the item does not have is refused, so a typo never silently sends everything."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from . import bad_query

FIELDS_MAX_LENGTH = 1000


@dataclass(frozen=True)
class Fields:
    """The fields asked for (none: all) and whether they are kept or left out."""

    names: frozenset[str] = frozenset()
    include: bool = True

    def pick(self, item: dict[str, Any]) -> dict[str, Any]:
        """The item with only the fields asked for."""
        if not self.names:
            return item
        return {name: value for name, value in item.items() if (name in self.names) == self.include}


def fields(args: Mapping[str, str], known: tuple[str, ...]) -> Fields:
    """Read `fields` and `include_fields`; every name must be one of `known`."""
    include = args.get("include_fields")
    if include not in (None, "", "true", "false"):
        raise bad_query("'include_fields' must be true or false.")
    raw = args.get("fields") or ""
    if len(raw) > FIELDS_MAX_LENGTH:
        raise bad_query("'fields' is too long.")
    names = [name.strip() for name in raw.split(",") if name.strip()]
    unknown = sorted({name[:40] for name in names if name not in known})
    if unknown:
        raise bad_query(
            f"unknown field(s) in 'fields': {', '.join(unknown[:5])} "
            f"(the fields are {', '.join(known)})."
        )
    return Fields(frozenset(names), include != "false")
