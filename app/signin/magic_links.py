"""Magic links: read one without changing anything, then sign in on an explicit step.

A link names a ticket and a nonce (stored only hashed). Opening it never changes
state, so mail scanners that fetch it burn nothing. What happens next depends on
the browser:

- the browser that asked for it (binding cookie matches) signs in with one POST;
- another browser never signs anyone in silently: it may approve the first
  browser with the two-digit number shown there (a wrong number ends the
  ticket), or, when the app registered an initiate-login URL, explicitly take
  the sign-in over ("Continue as x@y?").

Like app/signin/tickets.py, these functions take plain values and raise named
errors; they never touch the request.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from sqlalchemy import update

from app.extensions import db
from app.models import LoginTicket, sha256_hex, utcnow
from app.signin import binding, link_tokens
from app.signin.outcomes import LoginError, OtherBrowser, Requester, SignIn, TicketExpired
from app.signin.tickets import (
    check_alive,
    consume,
    find,
    load,
    open_ticket,
    record,
)

# RFC 8176: "otp" — the link's nonce is a one-time secret sent to the address,
# as a code is. A link approved from another browser by number matching adds
# "user" (the person confirmed the sign-in on a second device), and "mca"
# (multiple-channel authentication: the email and the first browser's screen).
LINK_AMR = ["otp"]
MATCHED_AMR = ["otp", "user", "mca"]
UNKNOWN_REQUESTER = Requester()


class LinkTampered(LoginError):
    """The link was changed, cut short, or names no ticket we sent a link for."""

    reason = "tampered"


class WrongNumber(LoginError):
    """The number typed in another browser is not the one the first browser shows."""

    reason = "wrong_number"


class NoInitiateLogin(LoginError):
    """The app registered no initiate-login URL, so it cannot start a flow here."""

    reason = "no_initiate_login"


class NotApproved(LoginError):
    """The waiting browser tried to finish before the number was matched."""

    reason = "not_approved"


@dataclass(frozen=True)
class OpenedLink:
    """A valid, live link and whether the browser holding it is the one that asked."""

    ticket: LoginTicket
    same_browser: bool


def open_link(token: str, binding_value: str | None) -> OpenedLink:
    """Read a link (GET/HEAD, any number of times): no state changes.

    Raises LinkTampered, TicketExpired, TicketUsed or TooManyAttempts.
    """
    ticket = _ticket_for(token)
    check_alive(ticket)
    return OpenedLink(ticket, binding.matches(binding_value, ticket.binding_hash))


def ticket_named_by(token: str) -> LoginTicket | None:
    """The ticket a genuine link names, even if expired or used (for "send a new link")."""
    try:
        return _ticket_for(token)
    except TicketExpired as expired:
        return find(expired.args[0]) if expired.args else None
    except LoginError:
        return None


def verify_link(
    token: str, binding_value: str | None, requester: Requester = UNKNOWN_REQUESTER
) -> SignIn:
    """The browser that asked for the link confirms it (POST): consume and sign in."""
    opened = open_link(token, binding_value)
    if not opened.same_browser:
        raise OtherBrowser()
    return consume(opened.ticket, requester, amr=list(LINK_AMR))


def approve_by_number(
    token: str, number: str, requester: Requester = UNKNOWN_REQUESTER
) -> LoginTicket:
    """Another browser types the number the first browser shows.

    A match approves the ticket: the first browser then finishes by itself. A
    wrong number ends the ticket at once (a guess has 1 chance in 90).
    """
    ticket = open_link(token, None).ticket
    if ticket.approved_at is not None:
        return ticket
    # ASCII digits only: str.isdigit() also takes "²" or "٣", and compare_digest
    # refuses non-ASCII strings.
    typed = "".join(ch for ch in (number or "")[:8] if ch in "0123456789")
    if not (ticket.match_number and hmac.compare_digest(typed, ticket.match_number)):
        db.session.execute(
            update(LoginTicket)
            .where(LoginTicket.id == ticket.id)
            .values(failed_attempts=LoginTicket.max_attempts, number_refused_at=utcnow())
        )
        record("login.link_wrong_number", ticket, requester)
        db.session.commit()
        raise WrongNumber()
    db.session.execute(
        update(LoginTicket)
        .where(LoginTicket.id == ticket.id, LoginTicket.consumed_at.is_(None))
        .values(approved_at=utcnow())
    )
    record("login.link_approved", ticket, requester)
    db.session.commit()
    db.session.refresh(ticket)
    return ticket


def waiting_status(ticket_id: str, binding_value: str | None) -> tuple[str, LoginTicket]:
    """What the waiting browser should do next: "waiting", "approved", "replaced",
    or why the ticket ended ("used", "expired", "attempts"). Read-only."""
    ticket = load(ticket_id, binding_value)
    if ticket.replaced_by and ticket.consumed_at is None:
        return "replaced", ticket
    try:
        check_alive(ticket)
    except LoginError as ended:
        return ended.reason, ticket
    return ("approved" if ticket.approved_at else "waiting"), ticket


def finish_approved(
    ticket_id: str, binding_value: str | None, requester: Requester = UNKNOWN_REQUESTER
) -> SignIn:
    """The waiting browser signs in once its number was matched elsewhere (POST)."""
    ticket = load(ticket_id, binding_value)
    check_alive(ticket)
    if ticket.approved_at is None:
        raise NotApproved()
    return consume(ticket, requester, amr=list(MATCHED_AMR))


def continue_here(token: str, requester: Requester = UNKNOWN_REQUESTER) -> SignIn:
    """Another browser takes the sign-in over, after "Continue as x@y?" (POST).

    Only for apps with an initiate-login URL: the app then starts a fresh
    authorize request in this browser, which the caller lets through.
    """
    opened = open_link(token, None)
    client = opened.ticket.client
    if client is None or not client.initiate_login_uri:
        raise NoInitiateLogin()
    return consume(opened.ticket, requester, amr=list(LINK_AMR))


def send_new_link(
    token: str, requester: Requester = UNKNOWN_REQUESTER, language: str = "en"
) -> LoginTicket:
    """A new ticket and link for the same address and authorize request, bound to the
    browser that asked for the first one. Pressing it twice sends one link."""
    old = ticket_named_by(token)
    if old is None:
        raise LinkTampered()
    if old.replaced_by:
        newer = find(old.replaced_by)
        if newer is not None and newer.consumed_at is None and newer.expires_at > utcnow():
            return newer
    ticket = open_ticket(
        old.connection,
        old.recipient,
        client=old.client,
        authorize_params=old.authorize_params,
        binding_hash=old.binding_hash,
        requester=requester,
        language=language,
        send="link",
    )
    old.replaced_by = ticket.id
    record("login.link_renewed", old, requester)
    db.session.commit()
    return ticket


def _ticket_for(token: str) -> LoginTicket:
    """The ticket a link names, checked against its stored nonce hash; the token's
    max age is that ticket's own lifetime."""
    try:
        link = link_tokens.load_magic_link(token)
    except (link_tokens.BadToken, link_tokens.ExpiredToken):
        raise LinkTampered() from None
    ticket = find(link.ticket_id)
    if ticket is None or not ticket.link_nonce_hash:
        raise LinkTampered()
    if not hmac.compare_digest(sha256_hex(link.nonce), ticket.link_nonce_hash):
        raise LinkTampered()
    lifetime = int((ticket.expires_at - ticket.created_at).total_seconds())
    try:
        link_tokens.load_magic_link(token, max_age=max(lifetime, 1))
    except link_tokens.ExpiredToken:
        raise TicketExpired(ticket.id) from None
    return ticket
