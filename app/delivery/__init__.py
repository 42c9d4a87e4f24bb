"""Delivery: the outbox, the dispatcher that empties it, and the providers it sends through.

Every provider, whatever its channel (email, sms), has one method,
`send(message)`, that either returns (delivered; the provider's id of the
message, or None) or raises `DeliveryError`.
Providers are looked up by channel, then by name: `provider_for("email", "smtp")`.
"""

from __future__ import annotations

from . import email, sms
from .providers import DeliveryError, Provider

__all__ = ["DeliveryError", "Provider", "provider_for"]


def provider_for(channel: str, name: str | None) -> Provider:
    """A provider for a channel ("email", "sms") by its name ("smtp", "dev", …).

    Raises a non-retryable DeliveryError for an unknown channel or name.
    """
    registry: dict[str, dict[str, type[Provider]]] = {
        "email": email.PROVIDERS,
        "sms": sms.PROVIDERS,
    }
    provider = registry.get(channel, {}).get(name or "")
    if provider is None:
        raise DeliveryError(f"no {channel} provider named {name!r}", retryable=False)
    return provider()
