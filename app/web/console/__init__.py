"""The operator console at /admin: users, apps, connections and delivery, for the
people an operator named with `flask admins add EMAIL` (see base.py and auth.py)."""

from __future__ import annotations

from . import apps, auth, connections, delivery, users
from .base import bp

__all__ = ["apps", "auth", "bp", "connections", "delivery", "users"]
