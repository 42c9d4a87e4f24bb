"""What a sign-in step returns or raises: plain types every package may import.

A leaf module: it imports only the models, so the accounts (sessions) and the
web layer can name a `SignIn` or a `LoginError` without importing the tickets'
rules (and without an import cycle).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.models import LoginTicket, User


@dataclass(frozen=True)
class Requester:
    """Where a request came from, for the audit log."""

    ip: str | None = None
    user_agent: str | None = None


@dataclass(frozen=True)
class SignIn:
    """A verified sign-in: who, when, how, and the authorize request it completes."""

    user: User
    ticket: LoginTicket | None  # None when an SSO session answers
    auth_time: int
    amr: list[str] = field(default_factory=list)
    claims: dict = field(default_factory=dict)  # post-login hooks' (namespaced)

    def get_user_id(self) -> str:
        return self.user.sub


class LoginError(Exception):
    """A sign-in step that cannot go on; the page says what to do."""

    reason = "error"


class TicketNotFound(LoginError):
    reason = "not_found"


class OtherBrowser(LoginError):
    reason = "other_browser"


class TicketExpired(LoginError):
    reason = "expired"


class TooManyAttempts(LoginError):
    reason = "attempts"


class TicketUsed(LoginError):
    reason = "used"


class SignInRefused(LoginError):
    """Blocked user or sign-up closed; told apart from a wrong code only in the audit log."""

    reason = "refused"


class SignupDisabled(LoginError):
    """Only when the operator turned on SIGNUP_DISABLED_ERROR; silent otherwise."""

    reason = "signup_disabled"


class ConnectionOff(LoginError):
    """The app does not sign in with this connection."""

    reason = "connection_off"


class WrongCode(LoginError):
    reason = "wrong_code"

    def __init__(self, tries_left: int):
        super().__init__(tries_left)
        self.tries_left = tries_left
