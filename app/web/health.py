"""/healthz (the process answers) and /readyz (it can serve: database and rate-limit
store reachable), for load balancers and orchestrators. JSON, never cached, not
rate-limited (no limit is declared on them)."""

from __future__ import annotations

from flask import Blueprint, jsonify

from app import readiness

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """Alive: touches nothing outside the process."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    """Ready: 200 when every dependency answers, else 503 naming those that did not."""
    checks = readiness.checks()
    ready = all(checks.values())
    body = {
        "status": "ready" if ready else "unavailable",
        "checks": {name: "ok" if ok else "unreachable" for name, ok in checks.items()},
    }
    return jsonify(body), 200 if ready else 503
