"""Development pages: the outbox, so codes can be read without a mail server.

Registered only when DEV_OUTBOX is on (debug, or FLASK_DEV_OUTBOX set).
"""

from __future__ import annotations

from flask import Blueprint, abort, g, make_response, render_template
from sqlalchemy import select

from ..delivery.outbox import is_purged
from ..extensions import db
from ..models import OutboxMessage

bp = Blueprint("dev", __name__, url_prefix="/dev")

OUTBOX_PAGE_SIZE = 100
# Larger ids cannot be row ids (SQLite's INTEGER is 64-bit): 404, not a database error.
MAX_MESSAGE_ID = 2**63 - 1
# The HTML part of a message is shown as a document of its own, with no script,
# no plugin, no form and no way to frame or navigate anything.
MESSAGE_HTML_CSP = (
    "sandbox; default-src 'none'; img-src https: data:; style-src 'unsafe-inline'; "
    "font-src https: data:; form-action 'none'; base-uri 'none'; frame-ancestors 'none'"
)


@bp.get("/outbox")
def outbox():
    """Every queued message, newest first."""
    messages = db.session.scalars(
        select(OutboxMessage)
        .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
        .limit(OUTBOX_PAGE_SIZE)
    ).all()
    g.no_store = True
    return render_template("dev/outbox.html", messages=messages, is_purged=is_purged)


@bp.get(f"/outbox/<int(max={MAX_MESSAGE_ID}):message_id>.html")
def outbox_html(message_id: int):
    """One message's HTML part, sandboxed."""
    message = db.session.get(OutboxMessage, message_id)
    if message is None or not message.body_html:
        abort(404)
    response = make_response(message.body_html)
    response.mimetype = "text/html"
    response.headers["Content-Security-Policy"] = MESSAGE_HTML_CSP
    response.headers["Cache-Control"] = "no-store"
    return response
