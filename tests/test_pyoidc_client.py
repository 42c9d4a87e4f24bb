"""pyoidc (the `oic` package) as a relying app: its default user-info call POSTs the
access token in a form body (RFC 6750 §2.2), which Latchkey must accept."""

from __future__ import annotations

import pytest
from authlib.integrations.requests_client import OAuth2Session
from oic.oic import Client
from oic.utils.authn.client import CLIENT_AUTHN_METHOD
from test_oidc_client import EMAIL, Browser, register, run_flow


@pytest.fixture(params=["", "/"], ids=["no-slash", "trailing-slash"])
def server(request, live_server):
    """Latchkey with its issuer written without and with a trailing slash."""
    return live_server(issuer_path=request.param)


def test_pyoidc_discovers_and_reads_userinfo_with_its_default_form_body(server):
    callback = "https://app.example/cb"
    client_id, secret = register(server, "regular", callback)
    app_session = OAuth2Session(
        client_id, secret, scope="openid email", redirect_uri=callback, code_challenge_method="S256"
    )
    browser = Browser(server.url)
    discovery = Client().provider_config(server.issuer).to_dict()
    assert discovery["issuer"] == server.issuer
    try:
        _, token, _ = run_flow(discovery, browser, server.app, app_session, callback)
    finally:
        browser.close()
        app_session.close()
    rp = Client(client_id=client_id, client_authn_method=CLIENT_AUTHN_METHOD)
    rp.provider_config(server.issuer)

    info = rp.do_user_info_request(access_token=token["access_token"])  # POST, form body

    assert info["email"] == EMAIL
    assert info["email_verified"] is True
    assert info["sub"]
