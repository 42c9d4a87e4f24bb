"""Why a waiting sign-in ended, told from the first browser's side.

The waiting page ("Check your email") outlives its ticket: the link may be opened
in another tab of the same browser, another device may approve or take the sign-in
over, a wrong number may stop it, or it may simply run out. Each ending gets its
own story and next step on the page; this module only names the ending from plain
values (the ticket, and which user this browser is signed in as), read-only.
"""

from __future__ import annotations

from app.models import LoginTicket, utcnow

SIGNED_IN_HERE = "signed_in_here"
SIGNED_IN_ELSEWHERE = "signed_in_elsewhere"
WRONG_NUMBER = "wrong_number"
EXPIRED = "expired"
ATTEMPTS = "attempts"


def waiting_ending(ticket: LoginTicket, browser_user_id: int | None) -> str | None:
    """The ending of a ticket the waiting page watches, or None while it lives.

    `browser_user_id` is the user this browser's own session belongs to (None when
    it has none): a used ticket whose user is signed in here ended here (this tab,
    another tab, or Back after signing in); otherwise another device took it over.
    """
    if ticket.consumed_at is not None:
        here = browser_user_id is not None and browser_user_id == ticket.user_id
        return SIGNED_IN_HERE if here else SIGNED_IN_ELSEWHERE
    if ticket.failed_attempts >= ticket.max_attempts:
        return WRONG_NUMBER if ticket.number_refused_at is not None else ATTEMPTS
    if ticket.expires_at <= utcnow():
        return EXPIRED
    return None
