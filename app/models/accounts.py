"""Users, identities, apps (clients), connections, SSO sessions, logos and audit events."""

from __future__ import annotations

import hmac
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import DEFAULT_DAILY_BUDGET, random_id, sha256_hex, utcnow


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
    # A management (m2m) client: the Management API scopes it may ask for.
    scopes: Mapped[list[str] | None] = mapped_column(JSON, default=list)
    # Auth0's "Cross-Origin Verification Fallback URL": a page of the app's (at one of its
    # web origins) that runs auth0.js's crossOriginVerification() when a browser did not
    # keep the co_verifier cookie of an embedded sign-in.
    cross_origin_loc: Mapped[str | None] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def enabled_connections(self) -> list[str]:
        """The connections people may sign in with for this app (email when none is set)."""
        return list(self.connections or ["email"])

    @property
    def is_management(self) -> bool:
        """A machine-to-machine client of the Management API: no people sign in to it."""
        return self.client_type == "m2m"

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
    # The identity's own id, Auth0's `identities[].user_id` (app/accounts/linking.py): the
    # sub of the user it was made with; it moves with the identity when users merge, and
    # an unlinked identity's new user takes it back as its sub when it is free.
    subject: Mapped[str | None] = mapped_column(String(64), default=random_id)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(back_populates="identities")


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


class Logo(db.Model):
    """An app's logo image, fetched once and served by Latchkey, named by its SHA-256."""

    __tablename__ = "logos"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    content_type: Mapped[str] = mapped_column(String(32))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


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
