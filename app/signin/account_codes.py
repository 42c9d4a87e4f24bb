"""Codes the account page sends: to prove a new email address or phone number before it
joins a signed-in user (or before that user merges with the address's owner), and to
confirm deleting an account.

The same tickets, codes, limits, tries cap, lockout and outbox as a sign-in
(app/signin/tickets.py); a ticket with a `purpose` never signs anyone in (the login
pages refuse it) and serves only the user and browser that asked for it. What a
verified code does is app/accounts/linking.py's.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import update

from app.accounts import events, linking, users
from app.accounts.connections import get_connection
from app.delivery import dispatcher, outbox
from app.extensions import db
from app.messages import compose
from app.models import BrowserSession, Client, Connection, LoginTicket, User, utcnow
from app.signin import binding, lockout, sms_guard, throttle, tickets
from app.signin.codes import generate_code, hash_code, normalize_code
from app.signin.outcomes import Requester, TicketNotFound, TicketUsed

ADD = "account.add"
DELETE = "account.delete"
CONFIRM = "account.confirm"  # "it is still me": the session counts as a fresh sign-in
ACTIONS = {ADD: "add", DELETE: "delete", CONFIRM: "confirm"}  # email_account_code's
# How long after its code was verified a merge may still be confirmed.
MERGE_WINDOW = timedelta(minutes=10)


@dataclass(frozen=True)
class Verified:
    """What a verified "add" code did: `added` the address, found it `already` the
    user's, or found it is another user's and `offer`s a merge (`owner`)."""

    outcome: str
    ticket: LoginTicket
    owner: User | None = None


def send(
    purpose: str,
    connection_name: str,
    recipient: str,
    *,
    user: User,
    binding_value: str,
    requester: Requester = Requester(),
    language: str = "en",
    client: Client | None = None,
) -> LoginTicket:
    """Open a ticket for the account page and queue its code (its message names `client`,
    the app that linked to the page, when there is one). An address whose owner is
    blocked or locked out gets no message, with the same answer (as a sign-in)."""
    connection = get_connection(connection_name)
    binding_hash = binding.hash_of(binding_value)
    try:
        throttle.count_start(connection_name, recipient)
    except throttle.Throttled:
        _record("account.refused", connection_name, recipient, user, requester, why="throttled")
        db.session.commit()
        raise
    country = None
    if connection_name == "sms":
        country = sms_guard.admit_recipient(
            connection, recipient, requester, client=client, user_id=user.id, purpose=purpose
        )
    owner = users.find_by_identity(connection_name, recipient)
    refused = owner is not None and (
        owner.blocked or not lockout.lets_in(owner, binding_hash, None)
    )
    ticket = _new_ticket(purpose, connection, recipient, user, binding_hash, requester)
    ticket.deliver, ticket.country = not refused, country
    code = generate_code(connection.code_length)
    ticket.code_hash = hash_code(ticket.id, code)
    action = ACTIONS[purpose]
    message = compose.account_code_message(connection, recipient, code, client, language, action)
    if not refused:
        sender = compose.sender_for(connection)
        outbox.enqueue(connection_name, recipient, message, ticket_id=ticket.id, sender=sender)
    refused_detail = {"refused": "owner"} if refused else {}
    tickets.record(
        "account.start", ticket, requester, user_id=user.id, purpose=purpose, **refused_detail
    )
    db.session.commit()
    dispatcher.wake()
    return ticket


def _new_ticket(
    purpose: str,
    connection: Connection,
    recipient: str,
    user: User,
    binding_hash: str,
    requester: Requester,
) -> LoginTicket:
    """A ticket of the account page's, added and flushed (its id set; no code yet)."""
    ticket = LoginTicket(
        connection=connection.name,
        recipient=recipient,
        purpose=purpose,
        authorize_params={"account": user.sub},
        binding_hash=binding_hash,
        expires_at=utcnow() + timedelta(seconds=connection.ttl_seconds),
        max_attempts=connection.max_attempts,
        ip=requester.ip,
        user_agent=(requester.user_agent or "")[:300] or None,
        code_hash="",
    )
    db.session.add(ticket)
    db.session.flush()
    return ticket


def load(ticket_id: str, binding_value: str | None, user: User) -> LoginTicket:
    """The account ticket, if it exists, was opened by `user` and in this browser."""
    ticket = tickets.find(ticket_id)
    if (
        ticket is None
        or not ticket.purpose
        or (ticket.authorize_params or {}).get("account") != user.sub
        or not binding.matches(binding_value, ticket.binding_hash)
    ):
        raise TicketNotFound()
    return ticket


def resend(
    ticket_id: str, binding_value: str | None, user: User, requester: Requester
) -> LoginTicket:
    """Send the same code again while the ticket lives (counted like a start)."""
    ticket = load(ticket_id, binding_value, user)
    tickets.check_alive(ticket)
    throttle.count_start(ticket.connection, ticket.recipient)
    return tickets.send_again(ticket, requester, "account.resend", user_id=user.id)


def verify_add(
    ticket_id: str, code: str, binding_value: str | None, user: User, requester: Requester
) -> Verified:
    """Check the code sent to a new address; when right, the address joins the user, or
    (another user's) a merge is offered: nothing merges before `merge_after_code`."""
    ticket = _check_code(ticket_id, code, binding_value, user, requester, ADD)
    owner = users.find_by_identity(ticket.connection, ticket.recipient)
    if owner is not None and owner.id == user.id:
        return Verified("already", ticket)
    if owner is not None:
        ticket.user_id = owner.id  # the proven owner; merge_after_code checks it
        db.session.commit()
        return Verified("offer", ticket, owner)
    linking.link(user, ticket.connection, ticket.recipient)
    return Verified("added", ticket)


def merge_after_code(ticket_id: str, binding_value: str | None, user: User) -> list:
    """Confirm the merge a verified code offered, within MERGE_WINDOW of the code: the
    address's owner joins `user` (linking.merge). Once only."""
    ticket = load(ticket_id, binding_value, user)
    if ticket.purpose != ADD or ticket.consumed_at is None:
        raise TicketNotFound()
    if ticket.user_id is None or ticket.user_id == user.id:
        raise TicketUsed()
    if ticket.consumed_at + MERGE_WINDOW < utcnow():
        raise tickets.TicketExpired()
    owner = users.find_by_identity(ticket.connection, ticket.recipient)
    if owner is None or owner.id != ticket.user_id:
        raise TicketUsed()
    moved = linking.merge(user, owner)
    ticket.user_id = user.id
    db.session.commit()
    return moved


def verify_delete(
    ticket_id: str, code: str, binding_value: str | None, user: User, requester: Requester
) -> None:
    """Check the code that confirms deleting the account; when right, delete it."""
    _check_code(ticket_id, code, binding_value, user, requester, DELETE)
    linking.delete(user)


def is_fresh(row: BrowserSession) -> bool:
    """Whether a session signed in (or confirmed it) recently enough to change the
    account: within ACCOUNT_FRESH_SECONDS. A session borrowed later cannot add an
    address (and so take the account over) without a code sent to the person."""
    limit = timedelta(seconds=current_app.config["ACCOUNT_FRESH_SECONDS"])
    return utcnow() - row.auth_time <= limit


def verify_confirm(
    ticket_id: str,
    code: str,
    binding_value: str | None,
    row: BrowserSession,
    requester: Requester,
) -> None:
    """Check the code that confirms the signed-in person is still there; when right the
    session counts as signed in now (its auth_time, which OIDC's max_age also reads)."""
    _check_code(ticket_id, code, binding_value, row.user, requester, CONFIRM)
    row.auth_time = utcnow()
    events.record("session.confirmed", user_id=row.user_id)
    db.session.commit()


def _check_code(
    ticket_id: str,
    code: str,
    binding_value: str | None,
    user: User,
    requester: Requester,
    purpose: str,
) -> LoginTicket:
    """The sign-in's checks (alive, failure throttle, reserved try, constant-time compare,
    wrong-code accounting), then the ticket is used up, once."""
    ticket = load(ticket_id, binding_value, user)
    if ticket.purpose != purpose:
        raise TicketNotFound()
    tickets.check_alive(ticket)
    throttle.check_failures(ticket.recipient, requester.ip)
    tickets._reserve_attempt(ticket)  # shared with sign-ins on purpose: one tries cap
    correct = hmac.compare_digest(hash_code(ticket.id, normalize_code(code)), ticket.code_hash)
    if not (correct and ticket.deliver):
        raise tickets._failure(ticket, requester)
    used = db.session.execute(
        update(LoginTicket)
        .where(LoginTicket.id == ticket.id, LoginTicket.consumed_at.is_(None))
        .values(consumed_at=utcnow(), failed_attempts=LoginTicket.failed_attempts - 1)
    ).rowcount
    if used != 1:
        db.session.rollback()
        raise TicketUsed()
    db.session.refresh(ticket)
    throttle.clear_failures(ticket.recipient, requester.ip)
    tickets.record("account.verified", ticket, requester, user_id=user.id, purpose=purpose)
    db.session.commit()
    return ticket


def _record(
    type_: str, connection: str, recipient: str, user: User, requester: Requester, **detail: Any
) -> None:
    events.record(
        type_,
        user_id=user.id,
        connection=connection,
        recipient=recipient,
        ip=requester.ip,
        user_agent=requester.user_agent,
        **detail,
    )
