"""Logout: when an RP-initiated logout may act without asking the person, and where
Auth0's /v2/logout may send the browser afterwards."""

from __future__ import annotations

from authlib.oidc.rpinitiated import EndSessionRequest

from .clients import query_client

RETURN_TO_LIMIT = 2000


def needs_confirmation(end_session: EndSessionRequest, session_sub: str | None) -> bool:
    """Whether to ask "Sign out?" before acting (OIDC RP-Initiated Logout §6).

    A valid id_token_hint proves only that some app once got an ID token, not that
    it speaks for this browser: any site can send its own. So the request acts at
    once only when the hint names a registered app (its `aud`) and the user signed in
    to this browser (`sub`); with no live session there is nothing to end, and the
    browser only goes back to the app's registered logout URL."""
    claims = end_session.id_token_claims
    if end_session.needs_confirmation or not claims:
        return True
    audiences = claims.get("aud")
    audiences = [audiences] if isinstance(audiences, str) else list(audiences or [])
    if not audiences or any(query_client(aud) is None for aud in audiences):
        return True
    return session_sub is not None and claims.get("sub") != session_sub


class LogoutRefused(Exception):
    """An Auth0 logout request that would send the browser somewhere unregistered.

    `reason`: "no_client" (a returnTo without client_id), "unknown_client", or
    "unregistered" (a returnTo the app did not register as a logout URL)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def auth0_return_to(client_id: str | None, return_to: str | None) -> str | None:
    """Where Auth0's `/v2/logout?client_id=…&returnTo=…` sends the browser once signed
    out: returnTo when it is one of that app's registered logout URLs, matched exactly;
    None without a returnTo (a "signed out" page here). Raises LogoutRefused, before
    anything is ended, for anything else: never an open redirect."""
    client = query_client(client_id) if client_id else None
    if client_id and client is None:
        raise LogoutRefused("unknown_client")
    if not return_to:
        return None
    if client is None:
        raise LogoutRefused("no_client")
    if len(return_to) > RETURN_TO_LIMIT or return_to not in (client.row.logout_urls or []):
        raise LogoutRefused("unregistered")
    return return_to
