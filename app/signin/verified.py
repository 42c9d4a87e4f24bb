"""auth0.js's two-step sign-ins: one call checks the code, the browser's next request
finishes the authorize request.

- Hosted page (Universal Login + auth0.js): `POST /passwordless/verify` checks the
  code, then the page navigates to `GET /passwordless/verify_redirect`. What the first
  call verified is kept for the browser that made it: bound to its binding cookie.
- Embedded (cross-origin authentication): `POST /co/authenticate` checks the code and
  answers a login_ticket, a co_verifier and a co_id; the page then navigates to
  `/authorize?login_ticket=…`, which needs the co_verifier back (from the cookie set
  with the answer, or from the app's verification page) to finish.

Each kept sign-in is single use, lives `LIFETIME` seconds, belongs to one app, and is
stored only as hashes of the secrets that find it (login_ticket) and prove it
(binding cookie, co_verifier). Plain values in and out; no request here.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update

from app.accounts import events
from app.extensions import db
from app.models import Client, VerifiedSignIn, sha256_hex, utcnow
from app.signin import binding
from app.signin.api_tickets import ApiError
from app.signin.outcomes import Requester, SignIn

LIFETIME = 120  # seconds: enough for a redirect, too short to carry elsewhere
HOSTED, EMBEDDED = "hosted", "embedded"


class NotVerified(ApiError):
    """No kept sign-in answers this request: unknown, used, expired, another app's, or
    the browser did not prove it is the one that verified. `error` is Auth0's code."""


@dataclass(frozen=True)
class LoginTicketAnswer:
    """What `/co/authenticate` answers (Auth0's names)."""

    login_ticket: str
    co_verifier: str
    co_id: str


def keep_for_browser(sign_in: SignIn, client: Client, binding_value: str) -> None:
    """Keep a hosted page's verified code for the browser holding `binding_value`."""
    _keep(sign_in, client, HOSTED, verifier=binding_value)
    db.session.commit()


def issue_login_ticket(sign_in: SignIn, client: Client, origin: str) -> LoginTicketAnswer:
    """Keep an embedded page's verified code behind a new login ticket."""
    answer = LoginTicketAnswer(
        login_ticket=secrets.token_urlsafe(32),
        co_verifier=secrets.token_urlsafe(32),
        co_id=secrets.token_urlsafe(12),
    )
    kept = _keep(sign_in, client, EMBEDDED, verifier=answer.co_verifier)
    kept.login_ticket_hash = sha256_hex(answer.login_ticket)
    kept.co_id = answer.co_id
    kept.origin = origin[:300]
    db.session.commit()
    return answer


def _keep(sign_in: SignIn, client: Client, kind: str, verifier: str) -> VerifiedSignIn:
    assert sign_in.ticket is not None
    kept = VerifiedSignIn(
        kind=kind,
        verifier_hash=sha256_hex(verifier),
        client_pk=client.id,
        ticket_id=sign_in.ticket.id,
        user_id=sign_in.user.id,
        auth_time=sign_in.auth_time,
        amr=list(sign_in.amr),
        expires_at=utcnow() + timedelta(seconds=LIFETIME),
    )
    db.session.add(kept)
    return kept


def take_for_browser(client: Client, binding_value: str | None, requester: Requester) -> SignIn:
    """The newest hosted sign-in this browser verified for this app, used up."""
    if not binding_value:
        raise NotVerified("invalid_request", "This browser has not verified a code.")
    kept = db.session.scalars(
        select(VerifiedSignIn)
        .where(
            VerifiedSignIn.kind == HOSTED,
            VerifiedSignIn.client_pk == client.id,
            VerifiedSignIn.verifier_hash == binding.hash_of(binding_value),
        )
        .order_by(VerifiedSignIn.created_at.desc(), VerifiedSignIn.id.desc())
        .limit(1)
    ).first()
    if kept is None:
        raise NotVerified("invalid_request", "This browser has not verified a code.")
    return _use(kept, requester)


def find_login_ticket(login_ticket: str, client_id: str) -> VerifiedSignIn:
    """A live login ticket of this app; raises NotVerified otherwise."""
    kept = None
    if isinstance(login_ticket, str) and 0 < len(login_ticket) <= 200:
        kept = db.session.scalars(
            select(VerifiedSignIn).where(
                VerifiedSignIn.kind == EMBEDDED,
                VerifiedSignIn.login_ticket_hash == sha256_hex(login_ticket),
            )
        ).first()
    if kept is None or kept.client.client_id != client_id:
        raise NotVerified("access_denied", "Invalid login ticket.")
    _check_alive(kept)
    return kept


def take_login_ticket(kept: VerifiedSignIn, co_verifier: str | None, requester: Requester):
    """Use up a login ticket once the browser gave its co_verifier back."""
    if not co_verifier or not hmac.compare_digest(
        sha256_hex(co_verifier[:200]), kept.verifier_hash
    ):
        _record("co.verifier_refused", kept, requester)
        db.session.commit()
        raise NotVerified("access_denied", "No verifier returned from client.")
    return _use(kept, requester)


def _check_alive(kept: VerifiedSignIn) -> None:
    if kept.used_at is not None:
        raise NotVerified("access_denied", "The login ticket was already used.")
    if kept.expires_at <= utcnow():
        raise NotVerified("access_denied", "The login ticket has expired.")


def _use(kept: VerifiedSignIn, requester: Requester) -> SignIn:
    _check_alive(kept)
    used = db.session.execute(
        update(VerifiedSignIn)
        .where(VerifiedSignIn.id == kept.id, VerifiedSignIn.used_at.is_(None))
        .values(used_at=utcnow())
    ).rowcount
    if used != 1:
        db.session.rollback()
        raise NotVerified("access_denied", "The login ticket was already used.")
    _record("co.ticket_used" if kept.kind == EMBEDDED else "login.verify_redirect", kept, requester)
    db.session.commit()
    if kept.user.blocked:
        raise NotVerified("unauthorized", "user is blocked")
    return SignIn(
        user=kept.user, ticket=kept.ticket, auth_time=kept.auth_time, amr=list(kept.amr or [])
    )


def _record(type_: str, kept: VerifiedSignIn, requester: Requester) -> None:
    events.record(
        type_,
        client_id=kept.client.client_id,
        user_id=kept.user_id,
        ip=requester.ip,
        user_agent=requester.user_agent,
        origin=kept.origin,
    )
