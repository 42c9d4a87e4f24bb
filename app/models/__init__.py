"""The domain words as SQLAlchemy models (README: "Architecture"), one module per part:
accounts, sign-in tickets and messages, and what the OpenID Connect provider issues."""

from .accounts import BrowserSession, Client, Connection, Event, Identity, Logo, User
from .admins import Admin
from .base import (
    CLIENT_TYPES,
    CONNECTIONS,
    DEFAULT_DAILY_BUDGET,
    MANAGEMENT_SCOPES,
    SEND_MODES,
    random_id,
    sha256_hex,
    utcnow,
)
from .signin import LoginTicket, OutboxMessage, VerifiedSignIn
from .tokens import AccessToken, AuthorizationCode, RefreshToken, SigningKey

__all__ = [
    "AccessToken",
    "Admin",
    "AuthorizationCode",
    "BrowserSession",
    "CLIENT_TYPES",
    "CONNECTIONS",
    "Client",
    "Connection",
    "DEFAULT_DAILY_BUDGET",
    "Event",
    "Identity",
    "LoginTicket",
    "Logo",
    "MANAGEMENT_SCOPES",
    "OutboxMessage",
    "RefreshToken",
    "SEND_MODES",
    "SigningKey",
    "User",
    "VerifiedSignIn",
    "random_id",
    "sha256_hex",
    "utcnow",
]
