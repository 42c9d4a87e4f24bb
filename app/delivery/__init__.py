"""Delivery: the outbox, the dispatcher that empties it, and the providers it sends through.

Every provider, whatever its channel (email, sms), has one method,
`send(message)`, that either returns (delivered) or raises `DeliveryError`.
Providers are looked up by channel, then by name: `provider_for("email", "smtp")`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from ..models import OutboxMessage


class DeliveryError(Exception):
    """A provider could not deliver a message.

    `reason` is short and safe to log (an error class, an SMTP status code), never
    the message body or an address. `retryable` says whether trying later may work.
    """

    def __init__(self, reason: str, retryable: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable


class Provider:
    """Base of all providers: sends one outbox message or raises DeliveryError."""

    channel: ClassVar[str]
    name: ClassVar[str]

    def send(self, message: OutboxMessage) -> None:
        raise NotImplementedError


def provider_for(channel: str, name: str | None) -> Provider:
    """A provider for a channel ("email", "sms") by its name ("smtp", "dev", …).

    Raises a non-retryable DeliveryError for an unknown channel or name.
    """
    # Channel modules import this package for the base classes, hence the late import.
    from . import email, sms

    registry: dict[str, dict[str, type[Provider]]] = {
        "email": email.PROVIDERS,
        "sms": sms.PROVIDERS,
    }
    provider = registry.get(channel, {}).get(name or "")
    if provider is None:
        raise DeliveryError(f"no {channel} provider named {name!r}", retryable=False)
    return provider()
