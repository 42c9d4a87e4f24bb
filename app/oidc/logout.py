"""RP-initiated logout: when a logout request may act without asking the person."""

from __future__ import annotations

from authlib.oidc.rpinitiated import EndSessionRequest

from .clients import query_client


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
