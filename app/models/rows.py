"""Rows written with one Core INSERT and kept as ORM objects, without a flush.

The ORM's unit of work (flush) costs several times the INSERT itself on a hot path
(the start of every sign-in writes a ticket and its message). `insert_loaded` writes a
row with Core, every column given (its default filled in when the caller gave none),
then puts the object into the session as if it had been read: persistent, nothing
pending, nothing expired, so reading any attribute costs no query and a later change
is an ordinary UPDATE at the next flush. Within the caller's transaction: a rollback
drops the row (the object stays in the session as a stale one, as a flushed one does).
"""

from __future__ import annotations

import functools
from typing import Any, TypeVar

from sqlalchemy import insert
from sqlalchemy import inspect as inspect_mapper
from sqlalchemy.orm import make_transient_to_detached

from ..extensions import db

Model = TypeVar("Model")


def insert_loaded(model: type[Model], values: dict[str, Any], **related: Any) -> Model:
    """INSERT one row of `model` (Core, one statement) and return it as a loaded object.

    `values` are column attributes; one left out takes its column's default, or is left
    out of the INSERT (NULL), as the ORM would have done. `related` sets relationships
    the caller already holds (`client=…`), so reading them costs no query. An
    autoincrement primary key left out is the database's."""
    table = model.__table__
    row, unset = {}, []
    for key, column in _columns(model):
        if key in values:
            row[key] = values[key]
        elif column.default is not None:
            row[key] = _default(column)
        else:
            unset.append(key)  # left out of the INSERT, as the ORM leaves it: SQL NULL
    result = db.session.execute(insert(table), row)
    generated = table.autoincrement_column
    if generated is not None and generated.key not in row:
        row[generated.key] = result.inserted_primary_key[0]
        unset.remove(generated.key)
    obj = model(**row, **dict.fromkeys(unset))
    for name, value in related.items():
        setattr(obj, name, value)
    make_transient_to_detached(obj)  # as if read: history reset, the identity key set
    db.session.add(obj)
    return obj


@functools.cache
def _columns(model: type) -> tuple[tuple[str, Any], ...]:
    """(attribute, column) of each column attribute (each named as its column here)."""
    return tuple((attr.key, attr.columns[0]) for attr in inspect_mapper(model).column_attrs)


def _default(column) -> Any:
    """What the ORM would have written for a column the caller left out."""
    default = column.default
    if default.is_callable:
        return default.arg(None)  # SQLAlchemy's wrapper of a no-argument function
    return default.arg
