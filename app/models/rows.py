"""Rows written with one Core INSERT or UPDATE and kept as ORM objects, without a flush.

The ORM's unit of work (flush) costs several times the INSERT itself on a hot path
(the start of every sign-in writes a ticket and its message). `insert_loaded` writes a
row with Core, every column given (its default filled in when the caller gave none),
then puts the object into the session as if it had been read: persistent, nothing
pending, nothing expired, so reading any attribute costs no query and a later change
is an ordinary UPDATE at the next flush. Objects added and not yet flushed are flushed
first (the session's autoflush before any statement), so rows are written in the order
they were asked for (a message after its ticket). `update_loaded` changes a loaded
object's row with one Core UPDATE by primary key and sets the same values on the
object as read ones. `insert_row` writes a row nothing reads back (no object);
`loaded` and `set_read` keep what a Core statement wrote or returned on objects.

All write in the caller's transaction, and a rollback undoes them. Unlike an object
the ORM inserted (which a rollback turns back into a transient one), an inserted
object then stays in the session, expired like every other: reading it afterwards
raises ObjectDeletedError, as its row is gone. No caller reads it after a rollback.
"""

from __future__ import annotations

import functools
from typing import Any, TypeVar

from sqlalchemy import bindparam, insert, update
from sqlalchemy import inspect as inspect_mapper
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

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
    result = db.session.execute(_insert(model), row)
    generated = table.autoincrement_column
    if generated is not None and generated.key not in row:
        row[generated.key] = result.inserted_primary_key[0]
        unset.remove(generated.key)
    obj = model(**row, **dict.fromkeys(unset))
    for name, value in related.items():
        setattr(obj, name, value)
    return loaded(obj)


def loaded(obj: Model) -> Model:
    """A new object of a row that is already in the database (written or read by Core),
    put into the session as if the ORM had read it: persistent, nothing pending."""
    make_transient_to_detached(obj)  # history reset, the identity key set
    db.session.add(obj)
    return obj


def insert_row(model: type, values: dict[str, Any]) -> None:
    """INSERT one row of `model` (Core, one statement built once per model) on the
    session's connection, for a row nothing reads back in the request: no object, no
    unit of work, and the events recorded so far stay pending, to be written with the
    rest in one INSERT (app/accounts/events.py)."""
    db.session.connection().execute(_insert(model), values)


def update_loaded(obj: Any, values: dict[str, Any]) -> None:
    """UPDATE the row of a loaded object (Core, one statement, by primary key) and set
    `values` (column attributes) on the object as read values: nothing to flush."""
    (key,) = inspect_mapper(type(obj)).primary_key
    # The parameters named as columns are the SET clause; KEY_PARAMETER names the row.
    db.session.execute(_update_by_key(type(obj)), {KEY_PARAMETER: getattr(obj, key.key)} | values)
    set_read(obj, values)


def set_read(obj: Any, values: dict[str, Any]) -> None:
    """Set attributes (columns or relationships) on a loaded object as values read from
    the database (a statement's RETURNING, say): nothing to flush."""
    for name, value in values.items():
        set_committed_value(obj, name, value)


KEY_PARAMETER = "row_key"  # no column is named so


@functools.cache
def _insert(model: type):
    return insert(model.__table__)


@functools.cache
def _update_by_key(model: type):
    """UPDATE of one row by its (one-column) primary key, built once per model."""
    (key,) = inspect_mapper(model).primary_key
    return update(model.__table__).where(key == bindparam(KEY_PARAMETER))


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
