"""The domain words as SQLAlchemy models (README: "Architecture"; docs/)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .extensions import db

CLIENT_TYPES = ("regular", "spa", "native")
CONNECTIONS = ("email", "sms")
SEND_MODES = ("code", "link", "both")
DEFAULT_DAILY_BUDGET = 500


def utcnow() -> datetime:
    """Naive UTC now; every stored time is naive UTC."""
    return datetime.now(UTC).replace(tzinfo=None)


def sha256_hex(value: str) -> str:
    """Hash of a high-entropy secret (client secrets, tokens, cookies)."""
    return hashlib.sha256(value.encode()).hexdigest()


ID_ALPHABET = string.ascii_letters + string.digits


def random_id(length: int = 24) -> str:
    """A random identifier of letters and digits (24 give ~143 bits); never starts with '-',
    so it is safe as a command-line argument and in URLs."""
    return "".join(secrets.choice(ID_ALPHABET) for _ in range(length))


class Client(db.Model):
    """A relying app."""

    __tablename__ = "clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    client_secret_hash: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    client_type: Mapped[str] = mapped_column(String(16), default="regular")
    redirect_uris: Mapped[list[str]] = mapped_column(JSON, default=list)
    logout_urls: Mapped[list[str]] = mapped_column(JSON, default=list)
    web_origins: Mapped[list[str]] = mapped_column(JSON, default=list)
    connections: Mapped[list[str]] = mapped_column(JSON, default=lambda: ["email"])
    theme: Mapped[str | None] = mapped_column(String(64))
    logo_url: Mapped[str | None] = mapped_column(String(500))
    # The logo as fetched from logo_url and kept (app/accounts/logos.py); None: no logo.
    logo_sha256: Mapped[str | None] = mapped_column(String(64))
    primary_color: Mapped[str | None] = mapped_column(String(16))
    background_color: Mapped[str | None] = mapped_column(String(16))
    # OIDC third-party-initiated login: where a magic link opened on another
    # device sends the browser so that the app starts a fresh flow there.
    initiate_login_uri: Mapped[str | None] = mapped_column(String(2000))
    default_language: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def enabled_connections(self) -> list[str]:
        """The connections people may sign in with for this app (email when none is set)."""
        return list(self.connections or ["email"])

    @property
    def is_public(self) -> bool:
        """SPA and native apps cannot keep a secret; they must use PKCE."""
        return self.client_type in ("spa", "native")

    def check_secret(self, secret: str | None) -> bool:
        if not self.client_secret_hash or not secret:
            return False
        return hmac.compare_digest(self.client_secret_hash, sha256_hex(secret))


class Connection(db.Model):
    """A passwordless connection, `email` or `sms`, and its settings."""

    __tablename__ = "connections"

    name: Mapped[str] = mapped_column(String(16), primary_key=True)
    send: Mapped[str] = mapped_column(String(8), default="code")
    code_length: Mapped[int] = mapped_column(default=6)
    ttl_seconds: Mapped[int] = mapped_column(default=300)
    max_attempts: Mapped[int] = mapped_column(default=3)
    signup_allowed: Mapped[bool] = mapped_column(default=True)
    sender: Mapped[str | None] = mapped_column(String(200))
    allowed_countries: Mapped[list[str]] = mapped_column(JSON, default=list)
    default_country: Mapped[str | None] = mapped_column(String(2))
    # SMS only: messages per country per UTC day; None means no limit.
    daily_budget: Mapped[int | None] = mapped_column(default=DEFAULT_DAILY_BUDGET)
    templates: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class User(db.Model):
    """A person who signs in; one or more identities."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    sub: Mapped[str] = mapped_column(String(64), unique=True, default=random_id)
    blocked: Mapped[bool] = mapped_column(default=False)
    failed_logins: Mapped[int] = mapped_column(default=0, server_default="0")
    # Wrong codes lock an account for a while (app/signin/lockout.py): until when, how
    # many locks since the last sign-in (each doubles the delay), and when the owner
    # was last told.
    locked_until: Mapped[datetime | None] = mapped_column()
    lock_count: Mapped[int] = mapped_column(default=0, server_default="0")
    lock_notified_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column()

    identities: Mapped[list[Identity]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="Identity.id"
    )

    def identity_for(self, connection: str) -> Identity | None:
        return next((i for i in self.identities if i.connection == connection), None)

    # Authlib asks the resource owner for this.
    def get_user_id(self) -> str:
        return self.sub


class Identity(db.Model):
    """A verified email address or E.164 phone number of a user."""

    __tablename__ = "identities"
    __table_args__ = (UniqueConstraint("connection", "value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    connection: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(320))
    verified: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(back_populates="identities")


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

    client: Mapped[Client | None] = relationship()


class BrowserSession(db.Model):
    """A signed-in browser (single sign-on); the cookie holds the id, we keep its hash."""

    __tablename__ = "browser_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    cookie_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    connection: Mapped[str] = mapped_column(String(16))
    recipient: Mapped[str] = mapped_column(String(320))
    auth_time: Mapped[datetime] = mapped_column()
    amr: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column()
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))
    # Set when a link opened in another browser started the session ("Continue on
    # this device"): it serves only this app; other apps ask to sign in again.
    client_id: Mapped[str | None] = mapped_column(String(64))

    user: Mapped[User] = relationship()


class AuthorizationCode(db.Model):
    """An OAuth authorization code, stored hashed; single use, short-lived."""

    __tablename__ = "authorization_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    client_id: Mapped[str] = mapped_column(String(64), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    redirect_uri: Mapped[str] = mapped_column(Text)
    scope: Mapped[str] = mapped_column(Text, default="")
    nonce: Mapped[str | None] = mapped_column(Text)
    code_challenge: Mapped[str | None] = mapped_column(String(128))
    code_challenge_method: Mapped[str | None] = mapped_column(String(8))
    auth_time: Mapped[int] = mapped_column()
    amr: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column()
    # Set by a second use; a token still being saved for the first is born revoked.
    replayed_at: Mapped[datetime | None] = mapped_column()

    user: Mapped[User] = relationship()

    # Authlib's AuthorizationCodeMixin
    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return self.auth_time

    def get_acr(self) -> str | None:
        return None

    def get_amr(self) -> list[str]:
        return list(self.amr or [])


class AccessToken(db.Model):
    """An issued access token, stored hashed, revocable."""

    __tablename__ = "access_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    client_id: Mapped[str] = mapped_column(String(64), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    scope: Mapped[str] = mapped_column(Text, default="")
    authorization_code_id: Mapped[int | None] = mapped_column(
        ForeignKey("authorization_codes.id", ondelete="SET NULL"), index=True
    )
    refresh_family: Mapped[str | None] = mapped_column(String(32), index=True)  # if refreshed
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()

    user: Mapped[User] = relationship()


class Logo(db.Model):
    """An app's logo image, fetched once and served by Latchkey, named by its SHA-256."""

    __tablename__ = "logos"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    content_type: Mapped[str] = mapped_column(String(32))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RefreshToken(db.Model):
    """A refresh token (offline_access), stored hashed; see app/oidc/refresh.py."""

    __tablename__ = "refresh_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    family_id: Mapped[str] = mapped_column(String(32), index=True)
    client_id: Mapped[str] = mapped_column(String(64), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    scope: Mapped[str] = mapped_column(Text, default="")
    family_started_at: Mapped[datetime] = mapped_column()  # the sign-in: absolute lifetime
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()
    user: Mapped[User] = relationship()


class SigningKey(db.Model):
    """An RSA key that signs ID tokens; old keys stay published after rotation.

    The private key is kept only sealed (app/at_rest.py): the column holds a Fernet
    token of the PEM, never the PEM.
    """

    __tablename__ = "signing_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    kid: Mapped[str] = mapped_column(String(64), unique=True)
    sealed_private_pem: Mapped[str] = mapped_column("private_pem", Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column()


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


class Event(db.Model):
    """Audit log entry. Never holds a code, link, token or cookie."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    client_id: Mapped[str | None] = mapped_column(String(64))
    user_id: Mapped[int | None] = mapped_column(index=True)
    connection: Mapped[str | None] = mapped_column(String(16))
    recipient: Mapped[str | None] = mapped_column(String(320))  # masked
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
