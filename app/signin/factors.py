"""What a sign-in proved (`amr`, RFC 8176), and a step-up ticket's tie to its first factor.

A leaf beside the tickets: the tickets' rules read it when a code is verified, and
app/signin/step_up.py writes the tie when it opens a step-up ticket.
"""

from __future__ import annotations

from app.models import LoginTicket, User

STEP_UP_AMR = ("mca", "mfa")  # two channels (RFC 8176), and Auth0's mark of a second factor


def amr_for(ticket: LoginTicket) -> list[str]:
    """A code sent by email is ["otp"], by SMS ["otp", "sms"]; a step-up ticket adds its
    first factor's and "mca", "mfa"."""
    own = ["otp", "sms"] if ticket.connection == "sms" else ["otp"]
    first = ticket.first_factor
    if not first:
        return own
    return list(dict.fromkeys([*first.get("amr", []), *own, *STEP_UP_AMR]))


def same_person(ticket: LoginTicket, user: User | None) -> bool:
    """A step-up ticket signs in only the user whose first factor asked for it (never a
    new user, `None`)."""
    first = ticket.first_factor
    return not first or (user is not None and first.get("user_id") == user.id)
