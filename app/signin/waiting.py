"""A ticket as the page waiting for its code shows it, read in one query.

The code page (and the delivery state it polls) needs the ticket with its app, its
connection's code length and its newest message's state: one SELECT with two outer
joins instead of three reads.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from app.accounts.connections import get_connection
from app.delivery.state import Delivery, MessageState, delivery_of, newest_message_id
from app.extensions import db
from app.models import Connection, LoginTicket, OutboxMessage
from app.signin import tickets


@dataclass(frozen=True)
class Waiting:
    """The ticket (with its client), its connection's code length, and its newest
    message's state (None when it has none)."""

    ticket: LoginTicket
    code_length: int
    message: MessageState | None

    def delivery(self) -> Delivery:
        """The delivery line, in the language in use when asked (app/delivery/state.py)."""
        return delivery_of(self.ticket, self.message)


def load(ticket_id: str, binding_value: str | None) -> Waiting:
    """`tickets.load` (the ticket, if it exists and belongs to this browser), with what
    its waiting page shows besides, in the same query."""
    row = db.session.execute(_query(), {"ticket_id": ticket_id}).first()
    ticket = tickets.belonging(row[0] if row else None, binding_value)
    _, length, status, tries, last_error = row
    return Waiting(
        ticket=ticket,
        code_length=length if length is not None else get_connection(ticket.connection).code_length,
        message=MessageState(status, tries, last_error) if status is not None else None,
    )


@functools.cache
def _query():
    """The ticket whose id is the parameter `ticket_id`, built once."""
    return (
        select(
            LoginTicket,
            Connection.code_length,
            OutboxMessage.status,
            OutboxMessage.tries,
            OutboxMessage.last_error,
        )
        .outerjoin(Connection, Connection.name == LoginTicket.connection)
        .outerjoin(OutboxMessage, OutboxMessage.id == newest_message_id(LoginTicket.id))
        .where(LoginTicket.id == bindparam("ticket_id", type_=LoginTicket.id.type))
        .options(joinedload(LoginTicket.client))
    )
