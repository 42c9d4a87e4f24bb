"""Step-up: a post-login hook asked for a second code on the person's OTHER verified
channel (their phone after an email code, their email after an SMS code).

The second code is an ordinary login ticket (the same codes, limits, tries cap,
outbox and SMS defences) that remembers its first factor: verifying it signs in the
same user only, with `amr` holding both methods (app/signin/factors.py).
"""

from __future__ import annotations

from app.accounts import events
from app.extensions import db
from app.models import LoginTicket, User
from app.signin import binding, tickets
from app.signin.outcomes import LoginError, Requester, SignIn


class NoOtherChannel(LoginError):
    """The user has no verified email address or phone number besides this one."""

    reason = "no_other_channel"


def other_channel(user: User, connection: str) -> tuple[str, str] | None:
    """The user's first verified identity on another connection: (connection, value)."""
    for identity in user.identities:
        if identity.verified and identity.connection != connection:
            return identity.connection, identity.value
    return None


def begin(
    sign_in: SignIn,
    *,
    binding_value: str,
    requester: Requester,
    language: str,
    sso: bool,
) -> LoginTicket:
    """Send a second code to the other channel, for the same authorize request, bound to
    this browser. `sso`: whether the finished sign-in begins an SSO session (a link an
    app asked for does not). Raises NoOtherChannel, throttle.Throttled or
    sms_guard.SmsRefused (the limits of any code)."""
    first = sign_in.ticket
    if first is None:
        raise ValueError("a step-up follows a ticket's sign-in")
    found = other_channel(sign_in.user, first.connection)
    if found is None:
        tickets.record("login.step_up_unavailable", first, requester, user_id=sign_in.user.id)
        db.session.commit()
        raise NoOtherChannel()
    connection, recipient = found
    ticket = tickets.open_ticket(
        connection,
        recipient,
        client=first.client,
        authorize_params=first.authorize_params,
        binding_hash=binding.hash_of(binding_value),
        requester=requester,
        language=language,
        send="code",
        first_factor={"user_id": sign_in.user.id, "amr": list(sign_in.amr), "sso": sso},
    )
    events.record(
        "login.step_up",
        client_id=first.client.client_id if first.client else None,
        user_id=sign_in.user.id,
        connection=connection,
        ip=requester.ip,
        ticket=ticket.id[:6],
    )
    db.session.commit()
    return ticket


def is_step_up(ticket: LoginTicket) -> bool:
    """Whether this ticket is the second code of a step-up."""
    return bool(ticket.first_factor)


def begins_sso_session(ticket: LoginTicket) -> bool:
    """Whether finishing this ticket's sign-in begins an SSO session."""
    return bool((ticket.first_factor or {}).get("sso", True))
