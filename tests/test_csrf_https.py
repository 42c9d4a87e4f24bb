"""Forms posted over HTTPS: browsers send no Referer (the pages ask for no-referrer)."""

from __future__ import annotations

from flask.testing import FlaskClient
from helpers import LoginPage, RelyingApp


class HttpsClient(FlaskClient):
    """A browser talking to the server over HTTPS."""

    def open(self, *args, **kwargs):
        kwargs.setdefault("base_url", "https://latchkey.test")
        return super().open(*args, **kwargs)


def https_page(app) -> LoginPage:
    app.test_client_class = HttpsClient
    client = app.test_client()
    assert client.get("/.well-known/openid-configuration").request.is_secure
    return LoginPage(client)


def test_a_form_posted_over_https_without_a_referer_is_accepted(app):
    shop = RelyingApp.register(app)
    page = https_page(app)
    shown = page.open_authorize(**shop.authorize_params())
    assert shown.headers["Referrer-Policy"] == "no-referrer"

    started = page.submit_email("someone@example.com")

    assert started.status_code == 303
    assert "/login/code/" in started.headers["Location"]


def test_a_form_posted_over_https_without_its_csrf_token_is_refused(app):
    shop = RelyingApp.register(app)
    page = https_page(app)
    page.open_authorize(**shop.authorize_params())

    refused = page.submit_email("someone@example.com", csrf_token=None)

    assert refused.status_code == 400
