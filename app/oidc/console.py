"""The operator console's side of the authorization code flow, in process.

The console (/admin) is a public client of this server: it sends the browser to
/authorize with PKCE (S256), state and nonce, and gets an authorization code back
on its callback. It redeems that code here rather than over HTTP at /oauth/token
(the issuer's public address need not be reachable from the server itself), with
the token endpoint's rules: single use (a replay revokes what the first use got),
same client, same callback, not expired, the PKCE verifier matching.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from ..extensions import db
from ..models import User, utcnow
from . import code_use


def challenge_for(verifier: str) -> str:
    """The S256 code challenge of a PKCE verifier (RFC 7636 §4.2)."""
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def redeem_code(code: str, client_id: str, redirect_uri: str, verifier: str) -> User | None:
    """The user an authorization code was issued to, once; None for a code that is
    unknown, another app's, for another callback, expired, used, or whose PKCE
    challenge the verifier does not answer."""
    if not code or len(code) > 200:
        return None
    row = code_use.redeem(code, client_id)
    if row is None or row.expires_at <= utcnow() or row.redirect_uri != redirect_uri:
        return None
    if row.code_challenge_method != "S256" or not hmac.compare_digest(
        row.code_challenge or "", challenge_for(verifier)
    ):
        return None
    return db.session.get(User, row.user_id)
