"""Start, resend and verify a passwordless sign-in: the tickets' rules.

Magic links (reading, verifying and approving them) live in app/signin/magic_links.py
and build on the pieces here.

These functions take plain values and return plain results or raise a named
error; they never touch the request. The results and errors themselves live
in app/signin/outcomes.py (a leaf every package may import); they are
re-exported here as `tickets.SignIn`, `tickets.LoginError`, ….
"""

from __future__ import annotations

import hmac
import secrets
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy.orm import joinedload

from app.accounts import events, users
from app.accounts.connections import get_connection
from app.delivery import dispatcher, outbox
from app.extensions import db
from app.messages import compose
from app.models import Client, LoginTicket, User, random_id, rows, sha256_hex, utcnow
from app.signin import attempts, binding, factors, link_tokens, lockout, sms_guard, throttle
from app.signin.codes import generate_code, hash_code, normalize_code
from app.signin.outcomes import (
    ConnectionOff,
    LoginError,
    OtherBrowser,
    Requester,
    SignIn,
    SignInRefused,
    SignupDisabled,
    TicketExpired,
    TicketNotFound,
    TicketUsed,
    TooManyAttempts,
    WrongCode,
)


def start(
    connection_name: str,
    recipient: str,
    *,
    client: Client | None,
    authorize_params: dict[str, Any],
    binding_value: str,
    requester: Requester = Requester(),
    language: str = "en",
) -> LoginTicket:
    """Open a ticket for a normalized recipient and queue its message.

    Known, unknown, blocked and sign-up-refused recipients all get a ticket and
    the same answer; only those allowed to sign in get a code. An SMS first
    passes the fraud defences (sms_guard.SmsRefused when it may not go). Raises
    throttle.Throttled past the per-recipient limit, and SignupDisabled for an
    unknown recipient only when the operator asked for that explicit error.
    """
    return open_ticket(
        connection_name,
        recipient,
        client=client,
        authorize_params=authorize_params,
        binding_hash=binding.hash_of(binding_value),
        requester=requester,
        language=language,
    )


def open_ticket(
    connection_name: str,
    recipient: str,
    *,
    client: Client | None,
    authorize_params: dict[str, Any],
    binding_hash: str,
    requester: Requester = Requester(),
    language: str = "en",
    send: str | None = None,
    first_factor: dict[str, Any] | None = None,
) -> LoginTicket:
    """`start` for a known binding hash; `send` ("code" | "link") overrides the connection's;
    `first_factor` makes a step-up ticket (app/signin/step_up.py), on any connection."""
    if client and not first_factor and connection_name not in client.enabled_connections:
        raise ConnectionOff()
    connection = get_connection(connection_name)
    try:
        throttle.count_start(connection_name, recipient)
    except throttle.Throttled:
        _record_refused_start(connection_name, recipient, client, requester, "throttled")
        raise
    country = None
    if connection_name == "sms":
        user_id = (first_factor or {}).get("user_id")
        country = sms_guard.admit_recipient(
            connection, recipient, requester, client=client, user_id=user_id
        )
    user = users.find_by_identity(connection_name, recipient)
    refusal = _refusal(user, connection.signup_allowed, binding_hash, client)
    if refusal == "signup_disabled" and current_app.config["SIGNUP_DISABLED_ERROR"]:
        _record_refused_start(connection_name, recipient, client, requester, refusal)
        raise SignupDisabled()
    code = generate_code(connection.code_length)
    sends_link = connection_name == "email" and (send or connection.send) in ("link", "both")
    nonce = secrets.token_urlsafe(16) if sends_link else None  # 128 bits
    ticket_id = random_id()  # the code's hash is bound to it: known before the INSERT
    values = dict(
        id=ticket_id,
        connection=connection_name,
        recipient=recipient,
        client_pk=client.id if client else None,
        authorize_params=dict(authorize_params),
        binding_hash=binding_hash,
        expires_at=utcnow() + timedelta(seconds=connection.ttl_seconds),
        max_attempts=connection.max_attempts,
        deliver=refusal is None,
        ip=requester.ip,
        user_agent=(requester.user_agent or "")[:300] or None,
        country=country,
        code_hash=hash_code(ticket_id, code),
        link_nonce_hash=sha256_hex(nonce) if nonce else None,
        match_number=str(10 + secrets.randbelow(90)) if nonce else None,
        first_factor=first_factor,
    )
    # One INSERT now, not a flush: the ticket's row first (its message refers to it).
    ticket = rows.insert_loaded(LoginTicket, values, client=client)
    # The message is built for every kind of recipient, so known, unknown and refused
    # addresses cost the same work; only those allowed to sign in get it queued.
    link = link_tokens.magic_link_for(ticket.id, nonce) if nonce else None
    message = compose.code_message(connection, recipient, code, client, language, link=link)
    if refusal is None:
        outbox.enqueue(
            connection_name,
            recipient,
            message,
            ticket_id=ticket.id,
            sender=compose.sender_for(connection),
        )
    elif refusal == "signup_disabled" and connection_name == "email":
        if current_app.config["NOTIFY_UNKNOWN_RECIPIENT"]:
            compose.queue_no_account_notice(connection, recipient, client, language)
    record("login.start", ticket, requester, refused=refusal, link=bool(nonce) or None)
    db.session.commit()
    dispatcher.wake()
    return ticket


def _record_refused_start(
    connection: str, recipient: str, client: Client | None, requester: Requester, refused: str
) -> None:
    events.record(
        "throttle.recipient" if refused == "throttled" else "login.start",
        client_id=client.client_id if client else None,
        connection=connection,
        recipient=recipient,
        ip=requester.ip,
        user_agent=requester.user_agent,
        refused=refused,
    )
    db.session.commit()


def _refusal(
    user: User | None, signup_allowed: bool, binding_hash: str, client: Client | None
) -> str | None:
    if user is not None and user.blocked:
        return "blocked"
    if user is not None and not lockout.lets_in(user, binding_hash, client):
        return "locked"
    if user is None and not signup_allowed:
        return "signup_disabled"
    return None


def find(ticket_id: str) -> LoginTicket | None:
    """A ticket by id, whoever asks (for pages that explain a failure); its client (whose
    branding and callback every page of a ticket needs) comes in the same query."""
    if not ticket_id:
        return None
    return db.session.get(LoginTicket, ticket_id, options=[joinedload(LoginTicket.client)])


def code_length(ticket: LoginTicket) -> int:
    return get_connection(ticket.connection).code_length


def load(ticket_id: str, binding_value: str | None) -> LoginTicket:
    """The ticket, if it exists and belongs to this browser."""
    return belonging(find(ticket_id), binding_value)


def belonging(ticket: LoginTicket | None, binding_value: str | None) -> LoginTicket:
    """The ticket, if there is one and it belongs to this browser (else a LoginError)."""
    if ticket is None or ticket.purpose:  # the account page's codes sign no one in
        raise TicketNotFound()
    if not binding.matches(binding_value, ticket.binding_hash):
        raise OtherBrowser()
    return ticket


def check_alive(ticket: LoginTicket) -> None:
    if ticket.consumed_at is not None:
        raise TicketUsed()
    if ticket.failed_attempts >= ticket.max_attempts:
        raise TooManyAttempts()
    if ticket.expires_at <= utcnow():
        raise TicketExpired()


def resend(ticket_id: str, binding_value: str | None, requester: Requester = Requester()):
    """Send the same code again while the ticket lives."""
    ticket = load(ticket_id, binding_value)
    check_alive(ticket)
    try:  # a resend is a message like a start: it counts against the address's limit
        throttle.count_start(ticket.connection, ticket.recipient)
    except throttle.Throttled:
        _record_refused_start(
            ticket.connection, ticket.recipient, ticket.client, requester, "throttled"
        )
        raise
    return send_again(ticket, requester, "login.resend")


def send_again(ticket: LoginTicket, requester: Requester, event: str, **detail) -> LoginTicket:
    """Queue a live ticket's message again, once its start is counted: the SMS guard,
    the same message back in the outbox, the event `event`; committed, dispatcher woken."""
    if ticket.connection == "sms":
        sms_guard.admit_again(ticket, requester, user_id=detail.get("user_id"))
    if ticket.deliver:
        outbox.resend(ticket.id)
    record(event, ticket, requester, **detail)
    db.session.commit()
    dispatcher.wake()
    return ticket


def restart(
    ticket_id: str,
    binding_value: str | None,
    requester: Requester = Requester(),
    language: str = "en",
) -> LoginTicket:
    """A new ticket (and code) for the same recipient and authorize request."""
    old = load(ticket_id, binding_value)
    return start(
        old.connection,
        old.recipient,
        client=old.client,
        authorize_params=old.authorize_params,
        binding_value=binding_value or "",
        requester=requester,
        language=language,
    )


def verify_code(
    ticket_id: str, code: str, binding_value: str | None, requester: Requester = Requester()
) -> SignIn:
    """Check a typed code; on success consume the ticket and return the signed-in user."""
    ticket = load(ticket_id, binding_value)
    check_alive(ticket)
    try:
        throttle.check_failures(ticket.recipient, requester.ip)
    except throttle.Throttled:
        record("throttle.failed_codes", ticket, requester)
        db.session.commit()
        raise
    _reserve_attempt(ticket)
    typed = normalize_code(code)
    correct = hmac.compare_digest(hash_code(ticket.id, typed), ticket.code_hash)
    if not (correct and ticket.deliver):
        raise _failure(ticket, requester)
    return consume(ticket, requester, amr=factors.amr_for(ticket), attempt_reserved=True)


def consume(
    ticket: LoginTicket, requester: Requester, *, amr: list[str], attempt_reserved: bool = False
) -> SignIn:
    """Use the ticket up (once, even under races) and sign its recipient in. The caller
    commits: one transaction for the sign-in (app/web/post_login.py, app/web/sso.py)."""
    now = utcnow()
    found = users.find_for_sign_in(ticket.connection, ticket.recipient)
    refused = _refusal(found.user, found.signup_allowed, ticket.binding_hash, ticket.client)
    user = user_id = None
    if refused is None and factors.same_person(ticket, found.user):
        # A new user's row comes first, so the UPDATE that uses the ticket up names its
        # user too; a request that loses the race for the ticket rolls the row back.
        user = found.user or users.create(signed_in_at=now)
        user_id = user.id
    if not attempts.use_up(ticket, now, try_reserved=attempt_reserved, user_id=user_id):
        db.session.rollback()
        raise TicketUsed()
    if user is None:
        record("login.refused", ticket, requester)
        db.session.commit()
        raise SignInRefused()
    if found.user is None:
        users.add_first_identity(user, ticket.connection, ticket.recipient)
    else:
        users.mark_signed_in(user, found.identity, at=now, **lockout.CLEARED)
    throttle.clear_failures(ticket.recipient, requester.ip)
    record("login.success", ticket, requester, user_id=user.id, amr=amr)
    return SignIn(user=user, ticket=ticket, auth_time=int(now.timestamp()), amr=amr)


def _reserve_attempt(ticket: LoginTicket) -> None:
    """Count this try before comparing, so parallel guesses cannot pass the cap."""
    reserved = attempts.reserve_try(ticket)
    db.session.commit()
    if not reserved:
        db.session.refresh(ticket)
        check_alive(ticket)
        raise TicketUsed()


def _failure(ticket: LoginTicket, requester: Requester) -> LoginError:
    tries_left = max(ticket.max_attempts - ticket.failed_attempts, 0)
    record("login.wrong_code", ticket, requester, tries_left=tries_left)
    throttle.note_failure(ticket.recipient, requester.ip)
    if (lock := lockout.note_wrong_code(ticket)) is not None:
        record("login.locked", ticket, requester, user_id=lock.user_id, until=lock.until)
    db.session.commit()
    dispatcher.wake()
    return TooManyAttempts() if tries_left == 0 else WrongCode(tries_left)


def record(type_: str, ticket: LoginTicket, requester: Requester, **detail: Any) -> None:
    detail = {k: v for k, v in detail.items() if v is not None}
    user_id = detail.pop("user_id", None)
    events.record(
        type_,
        client_id=ticket.client.client_id if ticket.client else None,
        user_id=user_id,
        connection=ticket.connection,
        recipient=ticket.recipient,
        ip=requester.ip,
        user_agent=requester.user_agent,
        ticket=ticket.id[:6],
        **detail,
    )
