"""Cross-origin authentication, second half: `/authorize?login_ticket=…` and its
fallback, `/co/verify` (auth0.js: web-auth/cross-origin-authentication.js).

`/co/authenticate` (app/web/auth0_js.py) answered a login ticket and set the
co_verifier cookie; auth0.js kept the co_verifier in the app's own storage too. At
/authorize the ticket finishes only for the browser that shows the co_verifier back:
- the cookie came along: finish at once;
- no cookie (third-party cookies blocked): GET /co/verify frames the app's
  verification page (its `cross_origin_loc`, at one of its web origins), which runs
  auth0.js's crossOriginVerification() and posts the verifier to this page; the page
  POSTs it to /co/verify, which sets it as a first-party cookie and goes back to
  /authorize, where it is checked as above.
A wrong or missing verifier, or a ticket that is unknown, used, expired or another
app's, goes back to the app's callback as Auth0 sends it: error=access_denied.
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from authlib.oauth2 import OAuth2Error
from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app import oidc
from app.signin import verified

from . import security, sso, theme_setup
from .auth0_js import CO_VERIFIER_COOKIE, clear_co_verifier, own_origin, requester, set_co_verifier
from .errors import error_page, oauth_error
from .forms import ActionForm

bp = Blueprint("login_tickets", __name__)

NO_VERIFIER = "-"  # what /co/verify keeps when the app's page had no verifier to give


def _validated_request():
    """The current authorize request, validated (Authlib), or an error response."""
    try:
        grant, _answer = oidc.answer_authorize(None)
    except OAuth2Error as error:
        return None, oauth_error(error)
    except ValueError:  # Authlib refuses to build an error around some hostile values
        return None, error_page(
            400, _("This sign-in link is not valid"), _("The app sent a garbled request.")
        )
    return grant, None


def finish(params: dict):
    """`/authorize` with a login_ticket: finish it for the browser holding its verifier."""
    grant, failure = _validated_request()
    if failure:
        return failure
    try:
        kept = verified.find_login_ticket(request.args["login_ticket"], params["client_id"])
        cookie = request.cookies.get(CO_VERIFIER_COOKIE)
        if cookie is None:
            return _fallback(grant, kept)
        sign_in = verified.take_login_ticket(kept, cookie, requester())
    except verified.NotVerified as refused:
        error = oidc.refusal(grant, refused.error, refused.description)
        return clear_co_verifier(oauth_error(error))
    return clear_co_verifier(sso.complete(sign_in, requester(), params))


def _page_origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _fallback(grant, kept):
    """No co_verifier cookie: ask the app's verification page, if it has one at one of
    its web origins (else Auth0's server_error)."""
    location = kept.client.cross_origin_loc
    if not location or _page_origin(location) not in (kept.client.web_origins or []):
        error = oidc.refusal(grant, "server_error", "Unable to configure verification page.")
        return oauth_error(error)
    return redirect(url_for("login_tickets.verify_page") + "?" + _query(request.args), 303)


def _query(values) -> str:
    """The authorize parameters and the login ticket, nothing else, for the next hop."""
    kept = dict(oidc.authorize_params(values))
    kept["login_ticket"] = values.get("login_ticket", "")[:200]
    return urlencode(kept)


@bp.get("/co/verify")
def verify_page():
    """Frame the app's verification page and hand its answer to POST /co/verify."""
    grant, failure = _validated_request()
    if failure:
        return failure
    try:
        kept = verified.find_login_ticket(
            request.args.get("login_ticket", ""), grant.client.get_client_id()
        )
    except verified.NotVerified as refused:
        return oauth_error(oidc.refusal(grant, refused.error, refused.description))
    location = kept.client.cross_origin_loc or ""
    frame_origin = _page_origin(location)
    if frame_origin not in (kept.client.web_origins or []):
        error = oidc.refusal(grant, "server_error", "Unable to configure verification page.")
        return oauth_error(error)
    theme_setup.use_theme(kept.client)
    page = render_template(
        "co_verify.html",
        client=kept.client,
        frame_src=location.split("#")[0] + "#" + urlencode({"origin": own_origin()}),
        frame_origin=frame_origin,
        co_id=kept.co_id,
        fields={k: v for k, v in oidc.authorize_params(request.args).items()},
        login_ticket=request.args.get("login_ticket", ""),
        form=ActionForm(),
    )
    headers = {"Content-Security-Policy": security.content_security_policy(frame_src=frame_origin)}
    return page, 200, headers


@bp.post("/co/verify")
def verify():
    """Keep the verifier the app's page gave back (first-party now) and finish at /authorize."""
    form = ActionForm()
    if not form.validate_on_submit():
        return error_page(
            400, _("This page has expired"), _("Go back to the app and sign in again.")
        )
    verifier = request.form.get("co_verifier", "")[:200] or NO_VERIFIER
    target = url_for("oidc.authorize") + "?" + _query(request.form)
    return set_co_verifier(redirect(target, 303), verifier)
