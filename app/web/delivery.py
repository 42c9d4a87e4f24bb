"""Delivery state on the code and link-waiting pages, and the JSON the pages poll.

`GET /login/delivery/<ticket_id>` answers {"state", "line", "reason"} for the
browser that asked for the ticket (its binding cookie); any other request gets the
same 404, so it tells nothing about tickets, addresses or providers.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, jsonify, url_for
from flask_babel import lazy_gettext as _l

from app.delivery.state import Delivery, ticket_delivery
from app.signin import tickets, waiting

from ..models import LoginTicket
from . import binding_cookie

bp = Blueprint("delivery", __name__)

OTHER_CONNECTION = {
    "email": ("sms", _l("Sign in with a phone number instead")),
    "sms": ("email", _l("Sign in with email instead")),
}


def page_context(ticket: LoginTicket, known: Delivery | None = None) -> dict[str, object]:
    """What a page shows about its message: the state now (`known`, else read), where to
    ask again, and on failure the app's other connection (when it has one)."""
    delivery = known or ticket_delivery(ticket)
    other, other_label = OTHER_CONNECTION.get(ticket.connection, (None, None))
    enabled = ticket.client.enabled_connections if ticket.client else []
    other_url = None
    if delivery.state == "failed" and other in enabled:
        query = urlencode({**ticket.authorize_params, "connection": other})
        other_url = url_for("oidc.authorize") + "?" + query
    return {
        "delivery": delivery,
        "delivery_url": url_for("delivery.status", ticket_id=ticket.id),
        "other_connection_url": other_url,
        "other_connection_label": other_label,
    }


@bp.get("/login/delivery/<ticket_id>")
def status(ticket_id: str):
    """Polled by the code and waiting pages while the message may still change."""
    try:
        found = waiting.load(ticket_id[:64], binding_cookie.read())
    except tickets.LoginError:
        return jsonify(error="not_found"), 404
    response = jsonify(found.delivery().as_json())
    response.headers["Cache-Control"] = "no-store"
    return response
