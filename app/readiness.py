"""Is this process ready to serve? Its database and rate-limit store both answer.

Used by /readyz (app/web/health.py): a load balancer stops sending sign-ins to a
process that cannot record a ticket or count a limit.
"""

from __future__ import annotations

import logging

from sqlalchemy import text

from . import limits
from .extensions import db

logger = logging.getLogger(__name__)


def database_reachable() -> bool:
    """True when the database answers a trivial query."""
    try:
        db.session.execute(text("SELECT 1"))
        return True
    except Exception as error:  # any driver error means "not ready"
        logger.warning("readiness: database unreachable (%s)", type(error).__name__)
        return False
    finally:
        db.session.rollback()


def rate_limit_store_reachable() -> bool:
    """True when the rate-limit storage (memory or Redis) answers its health check.

    That is the app's one limit storage (app/limits.py, FLASK_RATELIMIT_STORAGE_URI),
    which exists even with Flask-Limiter's per-route limits switched off."""
    try:
        return bool(limits.current().storage.check())
    except Exception as error:
        logger.warning("readiness: rate-limit store unreachable (%s)", type(error).__name__)
        return False


def checks() -> dict[str, bool]:
    """Each dependency by name, True when it answers."""
    return {
        "database": database_reachable(),
        "rate_limit_store": rate_limit_store_reachable(),
    }
