"""Auth0's passwordless API: `POST /passwordless/start` with a JSON or form body.

Thin: read the body, let app.signin.api_tickets check it and open the ticket
(app.oidc checks the authorize request a link will complete), answer in Auth0's
shapes. CORS (registered web origins only, preflight too) is app/web/security.py's.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import Blueprint, g, jsonify, request

from app import i18n, limits, oidc
from app.oidc.json_body import json_object
from app.signin import api_tickets, binding, tickets

from ..extensions import csrf
from . import auth0_js, binding_cookie, locale

bp = Blueprint("passwordless_api", __name__)

NESTED = "authParams["


@bp.post("/passwordless/start")
@csrf.exempt
@limits.per_request("START_RATE_LIMIT")
def start():
    g.no_store = True
    browser = None
    try:
        body = _body()
        hosted = auth0_js.hosted_authorize_request(body)
        if hosted is None:
            asked = api_tickets.read_start(body, oidc.stored_request_problem)
        else:  # the hosted page: its own authorize request, this browser's ticket
            browser = binding_cookie.read() or binding.new_value()
            asked = api_tickets.read_start(
                {**body, "authParams": {}},
                lambda _params: oidc.stored_request_problem(hosted),
                hosted=True,
            )
            asked = replace(asked, authorize_params=hosted)
        ticket = api_tickets.start(asked, _requester(), locale.current_language(), browser)
    except api_tickets.ApiError as error:
        return auth0_js.api_error(error)
    response = jsonify(api_tickets.start_answer(ticket, _request_language()))
    return binding_cookie.set_on(response, browser) if browser else response


def _body() -> dict[str, Any]:
    """A JSON object as sent, or a form's fields (one value each; `authParams[name]`
    fields gathered into authParams). Anything else is refused as bad.request."""
    if request.is_json:
        sent = json_object(request)
        if sent is None:
            raise api_tickets.ApiError("bad.request", "The body must be a JSON object")
        return sent
    body: dict[str, Any] = {}
    for name, values in request.form.lists():
        if len(values) != 1:
            raise api_tickets.ApiError("bad.request", "Send each property once")
        if name.startswith(NESTED) and name.endswith("]"):
            body.setdefault("authParams", {})[name[len(NESTED) : -1]] = values[0]
        else:
            body[name] = values[0]
    return body


def _requester() -> tickets.Requester:
    return tickets.Requester(ip=request.remote_addr, user_agent=request.user_agent.string)


def _request_language() -> str | None:
    """The `x-request-language` header as a supported language tag, if it names one."""
    asked = request.headers.get("x-request-language", "")[:100]
    found = i18n.best_language(asked.split(","))
    return found.replace("_", "-") if found else None
