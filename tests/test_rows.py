"""Rows written with one Core INSERT and kept as loaded ORM objects (app/models/rows.py):
the same row and the same object the ORM's add-and-flush gave, without the flush."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event, select, text
from sqlalchemy.orm.exc import ObjectDeletedError

from app.delivery import outbox
from app.extensions import db
from app.messages.rendering import RenderedEmail
from app.models import Client, LoginTicket, OutboxMessage, rows, utcnow


class Statements:
    """The SQL an app's engine runs meanwhile."""

    def __init__(self) -> None:
        self.engine = db.engine
        self.seen: list[str] = []
        event.listen(self.engine, "after_cursor_execute", self._statement)

    def _statement(self, conn, cursor, statement, *args) -> None:
        self.seen.append(statement)

    def close(self) -> None:
        event.remove(self.engine, "after_cursor_execute", self._statement)


@pytest.fixture
def context(app):
    with app.app_context():
        yield


@pytest.fixture
def statements(context):
    seen = Statements()
    yield seen
    seen.close()


def ticket_values(**changes) -> dict:
    return {
        "id": "t" * 24,
        "connection": "email",
        "recipient": "rows@example.com",
        "code_hash": "0" * 64,
        "binding_hash": "1" * 64,
        "expires_at": utcnow() + timedelta(minutes=5),
    } | changes


def test_a_row_is_one_insert_and_its_object_reads_without_a_query(statements):
    client = Client(client_id="rows-app", name="Rows", redirect_uris=[], connections=["email"])
    db.session.add(client)
    db.session.commit()
    statements.seen.clear()

    ticket = rows.insert_loaded(LoginTicket, ticket_values(client_pk=client.id), client=client)
    assert [s.split()[:3] for s in statements.seen] == [["INSERT", "INTO", "login_tickets"]]
    # Every attribute is loaded: the given ones, the defaults, the ones left NULL.
    assert (ticket.client, ticket.failed_attempts, ticket.max_attempts) == (client, 0, 3)
    assert ticket.deliver is True and ticket.authorize_params == {}
    assert ticket.created_at is not None and ticket.purpose is None
    assert db.session.get(LoginTicket, ticket.id) is ticket  # in the identity map
    assert not db.session.dirty and not db.session.new
    assert len(statements.seen) == 1

    ticket.failed_attempts = 2  # a later change is an UPDATE at the next flush
    db.session.commit()
    stored = db.session.execute(
        text("SELECT failed_attempts, purpose, created_at FROM login_tickets WHERE id = :id"),
        {"id": ticket.id},
    ).one()
    assert stored[0] == 2 and stored[1] is None and stored[2] is not None


def test_an_autoincrement_key_is_the_databases(context):
    first = outbox.enqueue("email", "a@example.com", RenderedEmail("S", "T", ""))
    second = outbox.enqueue("email", "b@example.com", RenderedEmail("S", "T", ""))
    db.session.commit()
    assert second.id > first.id
    rows_by_id = dict(db.session.execute(select(OutboxMessage.id, OutboxMessage.recipient)).all())
    assert rows_by_id == {first.id: "a@example.com", second.id: "b@example.com"}
    assert (first.status, first.tries, first.body_html) == ("pending", 0, None)


def test_a_rollback_drops_the_row(context):
    ticket = rows.insert_loaded(LoginTicket, ticket_values())
    db.session.rollback()
    assert db.session.scalars(select(LoginTicket)).all() == []
    with pytest.raises(ObjectDeletedError):  # as the module says: not to be read again
        ticket.recipient  # noqa: B018


def test_an_object_added_before_is_written_first(context):
    """A message may name a ticket only just added: the ticket's row goes first (on
    PostgreSQL the foreign key is checked at once)."""
    ticket = LoginTicket(**ticket_values())
    db.session.add(ticket)
    message = outbox.enqueue(
        "email", "d@example.com", RenderedEmail("S", "T", ""), ticket_id=ticket.id
    )
    db.session.commit()
    assert db.session.get(OutboxMessage, message.id).ticket_id == ticket.id


def test_an_update_is_one_statement_and_the_object_reads_as_the_row(statements):
    message = outbox.enqueue("email", "c@example.com", RenderedEmail("S", "T", "<p>T</p>"))
    db.session.commit()
    statements.seen.clear()

    rows.update_loaded(message, {"status": "sent", "body_html": "", "last_error": None})
    assert [s.split()[:2] for s in statements.seen] == [["UPDATE", "outbox_messages"]]
    assert (message.status, message.body_html) == ("sent", "")
    assert not db.session.dirty  # nothing left for a flush to write
    db.session.commit()
    assert len(statements.seen) == 1
    stored = db.session.execute(
        text("SELECT status, body_html, subject FROM outbox_messages WHERE id = :id"),
        {"id": message.id},
    ).one()
    assert tuple(stored) == ("sent", "", "S")
