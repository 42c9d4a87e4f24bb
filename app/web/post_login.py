"""After a verified sign-in, before the way back to the app: the post-login hooks'
verdict as a page, a step-up code, or the redirect. Thin; the rules live in
app/signin/hooks.py and app/signin/step_up.py."""

from __future__ import annotations

from dataclasses import replace

from authlib.oauth2 import OAuth2Error
from flask import redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app import oidc
from app.extensions import db
from app.models import BrowserSession, Client
from app.signin import binding, hooks, sms_guard, step_up
from app.signin.outcomes import Requester, SignIn
from app.web import locale

from . import binding_cookie, sso, theme_setup
from .errors import error_page, oauth_error

FAILED = _l(
    "A check that runs after sign-in did not answer. Try again in a moment; "
    "if it keeps happening, contact the app's support team."
)


def _origin() -> hooks.Origin:
    return hooks.Origin(request.remote_addr, hooks.country_hint(request.headers))


def finish(sign_in: SignIn, requester: Requester, *, sso_session: bool = True):
    """Run the hooks for a ticket's sign-in, then: back to the app (with an SSO session
    unless `sso_session` is False), the denied page, the step-up code page, or the
    failed page. Commits what the sign-in wrote (the ticket used up, the user, the
    session and the authorization code) whatever the answer: one transaction."""
    response = _answer(sign_in, requester, sso_session)
    db.session.commit()
    return response


def _answer(sign_in: SignIn, requester: Requester, sso_session: bool):
    ticket = sign_in.ticket
    if step_up.is_step_up(ticket):
        sso_session = step_up.begins_sso_session(ticket)
    verdict = hooks.run(
        sign_in,
        client=ticket.client,
        connection=ticket.connection,
        origin=_origin(),
        authorize_params=ticket.authorize_params,
    )
    if verdict.failed:
        return failed_page(ticket.client, ticket.authorize_params)
    if verdict.denied is not None:
        return denied_page(ticket.client, ticket.authorize_params, verdict.denied)
    if verdict.step_up:
        return _step_up(sign_in, requester, sso_session)
    sign_in = replace(sign_in, claims=verdict.claims)
    if sso_session:
        return sso.complete(sign_in, requester)
    try:
        return oidc.complete_authorization(sign_in)
    except OAuth2Error as error:
        return oauth_error(error)


def for_session(row: BrowserSession, end_user: SignIn, params: dict):
    """The hooks for an SSO session about to answer an authorize request: (the sign-in
    with the hooks' claims, None), (None, None) when a step-up asks for a fresh sign-in,
    or (None, a response) when they refuse. Unverifiable requests are left to Authlib."""
    query = oidc.query_client(params.get("client_id"))
    redirect_uri = params.get("redirect_uri") or ""
    if query is None or not oidc.redirect_uri_matches(query.row, redirect_uri):
        return end_user, None
    verdict = hooks.run(
        end_user,
        client=query.row,
        connection=row.connection,
        origin=_origin(),
        authorize_params=params,
    )
    silent = "none" in (params.get("prompt") or "").split()
    if verdict.failed or verdict.denied is not None:
        if silent:
            return None, oidc.access_denied(params, verdict.denied or "Sign-in refused.")
        if verdict.failed:
            return None, failed_page(query.row, params)
        return None, denied_page(query.row, params, verdict.denied)
    if verdict.step_up:
        return None, None
    return replace(end_user, claims=verdict.claims), None


def _step_up(sign_in: SignIn, requester: Requester, sso_session: bool):
    """A second code on the other channel; its code page finishes the sign-in."""
    cookie = binding_cookie.read() or binding.new_value()
    ticket = sign_in.ticket
    try:
        second = step_up.begin(
            sign_in,
            binding_value=cookie,
            requester=requester,
            language=locale.current_language(),
            sso=sso_session,
        )
    except step_up.NoOtherChannel:
        message = _(
            "This app asks for a second code on another email address or phone number, "
            "and your account has none."
        )
        return denied_page(ticket.client, ticket.authorize_params, message)
    except sms_guard.SmsRefused as refused:
        return error_page(refused.status, _("We can't send the second code"), str(refused))
    response = redirect(url_for("login.code_step", ticket_id=second.id), 303)
    return binding_cookie.set_on(response, cookie)


def _themed(name: str, client: Client | None, params: dict, status: int, **context):
    locale.use_for_page(params.get("ui_locales"), client.default_language if client else None)
    return theme_setup.render_page(name, client, **context), status


def denied_page(client: Client | None, params: dict, message: str):
    """A hook said no: its message, and the way back to the app with `access_denied`."""
    back = oidc.access_denied(params, message)
    return _themed(
        "login/denied.html",
        client,
        params,
        403,
        message=message,
        app_url=back.headers["Location"] if back is not None else None,
    )


def failed_page(client: Client | None, params: dict):
    """A hook raised or ran out of time: the sign-in fails closed."""
    back = oidc.access_denied(params, "A check that runs after sign-in failed.")
    return _themed(
        "login/denied.html",
        client,
        params,
        503,
        failed=True,
        message=str(FAILED),
        app_url=back.headers["Location"] if back is not None else None,
    )
