"""Login tickets and the outbox of their messages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .accounts import Client, User
from .base import random_id, utcnow


class LoginTicket(db.Model):
    """One passwordless attempt: hashed code, browser binding, pending authorize request."""

    __tablename__ = "login_tickets"

    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=random_id)
    connection: Mapped[str] = mapped_column(String(16))
    recipient: Mapped[str] = mapped_column(String(320), index=True)
    client_pk: Mapped[int | None] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    authorize_params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    code_hash: Mapped[str] = mapped_column(String(64))
    link_nonce_hash: Mapped[str | None] = mapped_column(String(64))
    # Number matching for a link opened in another browser: the waiting page shows
    # it, the link page asks for it; a match approves the ticket for the first browser.
    match_number: Mapped[str | None] = mapped_column(String(2))
    approved_at: Mapped[datetime | None] = mapped_column()
    number_refused_at: Mapped[datetime | None] = mapped_column()  # a wrong number ended it
    replaced_by: Mapped[str | None] = mapped_column(String(64))
    binding_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    failed_attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=3)
    consumed_at: Mapped[datetime | None] = mapped_column()
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    deliver: Mapped[bool] = mapped_column(default=True)
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))
    country: Mapped[str | None] = mapped_column(String(2), index=True)  # sms: ISO country
    # A step-up ticket (a post-login hook asked for a second code on the user's other
    # channel): the first factor's user id, amr and whether it began an SSO session.
    first_factor: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # None: a sign-in. Else what the code proves an address for on the account page
    # (app/signin/account_codes.py): "account.add" or "account.delete"; such a ticket
    # never signs anyone in.
    purpose: Mapped[str | None] = mapped_column(String(16))

    client: Mapped[Client | None] = relationship()


class VerifiedSignIn(db.Model):
    """A code checked by one call, waiting for the browser's next request to finish the
    authorize request: auth0.js's `/passwordless/verify` then `/passwordless/verify_redirect`
    (hosted page), or `/co/authenticate` then `/authorize?login_ticket=…` (embedded).

    Single use, short-lived, and bound to a secret the browser holds, stored hashed: the
    browser-binding cookie (hosted) or the co_verifier (embedded). An embedded one is
    found by its login_ticket, also stored hashed; `co_id` is public.
    """

    __tablename__ = "verified_sign_ins"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # hosted | embedded
    login_ticket_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    verifier_hash: Mapped[str] = mapped_column(String(64), index=True)
    co_id: Mapped[str | None] = mapped_column(String(64))
    origin: Mapped[str | None] = mapped_column(String(300))  # who called /co/authenticate
    client_pk: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    ticket_id: Mapped[str] = mapped_column(ForeignKey("login_tickets.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    auth_time: Mapped[int] = mapped_column()
    amr: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column()

    client: Mapped[Client] = relationship()
    ticket: Mapped[LoginTicket] = relationship()
    user: Mapped[User] = relationship()


class OutboxMessage(db.Model):
    """A rendered message waiting for (or past) delivery.

    Once sent through a real provider its subject and body are blanked; while its
    ticket lives a sealed copy (app/at_rest.py) stays in `sealed_content` so that
    "Resend" sends the same code; when the ticket ends that goes too. What stays is
    what troubleshooting needs: recipient, status, provider and its id, tries, times.
    """

    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(8))  # email | sms
    recipient: Mapped[str] = mapped_column(String(320))
    sender: Mapped[str | None] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(Text, default="")
    body_text: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str | None] = mapped_column(Text)
    ticket_id: Mapped[str | None] = mapped_column(
        ForeignKey("login_tickets.id", ondelete="SET NULL"), index=True
    )
    provider: Mapped[str | None] = mapped_column(String(32))
    provider_message_id: Mapped[str | None] = mapped_column(String(200))  # Message-ID, SID
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    tries: Mapped[int] = mapped_column(default=0)
    next_try_at: Mapped[datetime] = mapped_column(default=utcnow)
    # A dispatcher's lease ("host:pid:thread", until when); see app.delivery.claims.
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    claimed_until: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(Text)
    sealed_content: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()
