"""Operators allowed into the console at /admin (named with `flask admins add EMAIL`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import utcnow


class Admin(db.Model):
    """An email address whose verified owner may use the operator console."""

    __tablename__ = "admins"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
