"""OpenID Connect endpoints. Protocol work happens in app.oidc; these routes only call it."""

from __future__ import annotations

from authlib.oauth2 import OAuth2Error
from flask import Blueprint, current_app, g, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import validate_csrf
from wtforms import ValidationError

from app import limits, oidc
from app.accounts import sessions
from app.look import themes
from app.oidc import keys
from app.oidc.json_body import body_parameter
from app.oidc.params import OTP_GRANT_TYPE

from ..extensions import csrf, db
from . import login_tickets, post_login, sso
from .errors import error_page, oauth_error
from .forms import ActionForm
from .login import show_login_step

bp = Blueprint("oidc", __name__)


@bp.get("/.well-known/openid-configuration")
def discovery():
    response = jsonify(oidc.discovery_document())
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/.well-known/jwks.json")
def jwks():
    response = jsonify(keys.jwks())
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("/authorize")
def authorize():
    too_long = oidc.oversized_param(request.args)
    if too_long:
        return error_page(
            400,
            _("This sign-in link is not valid"),
            _(
                "The app sent a '%(name)s' value that is too long. Tell the app's developer.",
                name=too_long,
            ),
        )
    params = oidc.authorize_params(request.args)
    if "login_ticket" in request.args:  # auth0.js's cross-origin authentication
        return login_tickets.finish(params)
    try:
        session_row = sso.current()
        end_user = sessions.sign_in_for(session_row, params)
        if end_user is not None:  # the post-login hooks hold for SSO answers too
            end_user, refused = post_login.for_session(session_row, end_user, params)
            if refused is not None:
                return refused
        grant, answer = oidc.answer_authorize(end_user)
    except OAuth2Error as error:
        return oauth_error(error)
    except ValueError:  # Authlib refuses to build an error around some hostile values
        return error_page(
            400, _("This sign-in link is not valid"), _("The app sent a garbled request.")
        )
    if answer is not None:
        return answer
    return show_login_step(grant.client.row, params)


def _not_a_code_check() -> bool:
    return body_parameter(request, "grant_type") != OTP_GRANT_TYPE


@bp.post("/oauth/token")
@csrf.exempt
@limits.per_request("VERIFY_RATE_LIMIT", exempt_when=_not_a_code_check)
def token():
    g.no_store = True
    response = oidc.server().create_token_response()
    db.session.commit()
    return response


@bp.post("/oauth/revoke")
@csrf.exempt
def revoke():
    g.no_store = True
    response = oidc.server().create_endpoint_response("revocation")
    db.session.commit()
    return response


@bp.route("/userinfo", methods=["GET", "POST"])
@csrf.exempt
def userinfo():
    g.no_store = True
    return oidc.server().create_endpoint_response("userinfo")


@bp.route("/logout", methods=["GET", "POST"])
@csrf.exempt
def logout():
    try:
        end_session = oidc.server().validate_endpoint_request("end_session")
    except OAuth2Error as error:
        return error_page(400, _("This sign-out link is not valid"), error.description)
    signed_in = sso.current()
    session_sub = signed_in.user.sub if signed_in else None
    if oidc.logout_needs_confirmation(end_session, session_sub) and not _confirmed():
        return _confirm_logout()
    response = oidc.server().create_endpoint_response("end_session", end_session)
    sessions.end(sso.cookie_value())
    if response is None:
        page = render_template("error.html", title=_("You are signed out"), message="", status=200)
        response = current_app.make_response(page)
    return sso.clear_cookie(response)


LOGOUT_PARAMS = ("client_id", "post_logout_redirect_uri", "state", "logout_hint", "ui_locales")


def _confirmed() -> bool:
    """A logout without an id_token_hint for this browser's user acts only on the
    confirmation form's POST (OIDC RP-Initiated Logout §6: any site could send one)."""
    if request.method != "POST":
        return False
    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError:
        return False
    return True


def _confirm_logout():
    g.no_store = True
    fields = {k: request.values[k][:2000] for k in LOGOUT_PARAMS if request.values.get(k)}
    theme = current_app.config["DEFAULT_THEME"]
    page = render_template(
        themes.template_for("logout.html", theme),
        client=None,
        csrf_form=ActionForm(),
        fields=fields,
    )
    return page, 200
