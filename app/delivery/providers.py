"""A provider's one interface: `send(message)` (returns the provider's id of it, or None),
or raise `DeliveryError`."""

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
    """Base of all providers: sends one outbox message or raises DeliveryError.

    Returns the provider's id of the message (an SMTP Message-ID, a Twilio SID), kept
    on the outbox row for troubleshooting, or None when the provider gives none.
    """

    channel: ClassVar[str]
    name: ClassVar[str]

    def send(self, message: OutboxMessage) -> str | None:
        raise NotImplementedError
