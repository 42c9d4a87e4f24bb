"""What Auth0's Lock widget fetches before it draws, wherever it is embedded: the app's
settings (`GET /client/<client_id>.js`, JSONP), a guess of the visitor's country for
the phone number field (`GET /user/geoloc/country`) and whether a captcha is asked
(`POST /passwordless/challenge`, `/usernamepassword/challenge`: never). Thin:
app/accounts/lock_settings.py and app/signin/phones.py decide."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, g, jsonify, request

from app.accounts import lock_settings
from app.accounts.connections import get_connection
from app.config import base_url
from app.signin import phones

from ..extensions import csrf

bp = Blueprint("lock", __name__)

JAVASCRIPT = "application/javascript; charset=utf-8"


@bp.get("/client/<client_id>.js")
def client_settings(client_id: str):
    """`Auth0.setClient({...})` for a registered app; an unknown one gets a 404 whose body
    says so (Lock then reports that the settings could not be loaded)."""
    g.no_store = True
    settings = lock_settings.client_settings(client_id, base_url(current_app.config))
    if settings is None:
        body = "/* Latchkey: no app is registered with this client_id. */\n"
        return Response(body, status=404, content_type=JAVASCRIPT)
    return Response(lock_settings.jsonp("setClient", settings), content_type=JAVASCRIPT)


@bp.get("/user/geoloc/country")
def country():
    """`{"countryCode": "US"}`: the country the proxy's header names (FLASK_GEOLOC_COUNTRY_HEADER),
    else the hosted phone page's first choice; never a network lookup."""
    g.no_store = True
    header = current_app.config["GEOLOC_COUNTRY_HEADER"]
    connection = get_connection("sms")
    tags = [tag for tag, _ in request.accept_languages]
    guessed = phones.guessed_country(
        request.headers.get(header, "")[:8] if header else None,
        connection.default_country,
        list(connection.allowed_countries or []),
        tags,
    )
    return jsonify(countryCode=guessed)


@bp.post("/passwordless/challenge")
@bp.post("/usernamepassword/challenge")
@csrf.exempt
def challenge():
    """Auth0's "is a captcha required?" before a start: no (Latchkey's per-IP and
    per-address limits and the SMS-fraud defences hold instead)."""
    g.no_store = True
    request.get_data(cache=False)  # unread, but reading refuses an oversized body (413)
    return jsonify(required=False)
