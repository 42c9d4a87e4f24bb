"""An app's logo is fetched once, checked, kept, and served by Latchkey: link pages,
login pages and emails never load it from the app's host."""

from __future__ import annotations

import hashlib
import json
import socket

import pytest
from helpers import LoginPage, RelyingApp, messages_to
from image_server import ImageServer, tiny_png

from app.accounts import logos

PNG = tiny_png()
GIF = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"
WEBP = b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00/\x00\x00\x00" + b"\x10\x07\x10\x11\x11\x88"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


@pytest.fixture
def images():
    with ImageServer() as server:
        yield server


@pytest.fixture
def shop(app) -> RelyingApp:
    return RelyingApp.register(app, name="Brand Co")


def set_logo(runner, shop: RelyingApp, url: str):
    return runner.invoke(args=["clients", "update", shop.client_id, "--logo-url", url, "--json"])


def login_page(client, shop: RelyingApp, **params: str) -> str:
    return client.get("/authorize", query_string=shop.authorize_params(**params)).get_data(
        as_text=True
    )


def test_the_logo_is_fetched_once_and_served_by_latchkey(app, client, runner, shop, images):
    url = images.serve("/brand/logo.png", PNG, "image/png")
    digest = hashlib.sha256(PNG).hexdigest()

    result = set_logo(runner, shop, url)

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["logo_url"] == url
    html = login_page(client, shop)
    assert f'src="/logos/{digest}"' in html
    assert images.url not in html
    served = client.get(f"/logos/{digest}")
    assert served.status_code == 200
    assert served.data == PNG
    assert served.mimetype == "image/png"
    assert "immutable" in served.headers["Cache-Control"]
    assert served.headers["X-Content-Type-Options"] == "nosniff"

    page = LoginPage(client)
    page.open_authorize(**shop.authorize_params(nonce="n-mail"))
    page.submit_email("bia@example.com")
    (message,) = messages_to(app, "bia@example.com")
    assert f'src="https://latchkey.test/logos/{digest}"' in message.html
    assert images.url not in message.html
    assert images.requests == ["/brand/logo.png"]  # once, at set-up; never per page


@pytest.mark.parametrize(
    "body, content_type",
    [(GIF, "image/gif"), (WEBP, "image/webp"), (b"\xff\xd8\xff\xe0" + b"\x00" * 16, "image/jpeg")],
)
def test_gif_webp_and_jpeg_logos_are_kept(app, runner, shop, images, body, content_type):
    result = set_logo(runner, shop, images.serve("/logo", body, content_type + "; charset=x"))

    assert result.exit_code == 0, result.output
    with app.app_context():
        kept = logos.find(hashlib.sha256(body).hexdigest())
        assert kept is not None and kept.content_type == content_type


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/logo.png"


@pytest.mark.parametrize(
    "body, content_type, status, headers, says",
    [
        (SVG, "image/svg+xml", 200, {}, "SVG logos are refused"),
        (b"<html></html>", "text/html", 200, {}, "content type is text/html"),
        (b"<html></html>", "image/png", 200, {}, "not a image/png image"),
        (b"GIF89a", "image/png", 200, {}, "not a image/png image"),
        (b"RIFF\x00\x00\x00\x00AVI ", "image/webp", 200, {}, "not a image/webp image"),
        (PNG + b"\x00" * (300 * 1024), "image/png", 200, {}, "larger than 256 KiB"),
        (b"", "image/png", 404, {}, "HTTP 404"),
        (b"", "image/png", 302, {"Location": "https://elsewhere.example/l.png"}, "HTTP 302"),
    ],
    ids=["svg", "html", "html-as-png", "gif-as-png", "not-webp", "too-large", "404", "redirect"],
)
def test_a_refused_logo_is_left_off_with_a_warning(
    app, client, runner, shop, images, body, content_type, status, headers, says
):
    url = images.serve("/logo", body, content_type, status, headers)

    result = set_logo(runner, shop, url)

    assert result.exit_code == 0
    assert says in result.stderr and "show no logo" in result.stderr
    assert json.loads(result.stdout)["logo_url"] == url  # the setting stays; no image
    html = login_page(client, shop)
    assert "lk-logo-default" in html and images.url not in html and "/logos/" not in html


def test_an_unreachable_logo_host_leaves_the_logo_off(client, runner, shop):
    result = set_logo(runner, shop, closed_port_url())

    assert result.exit_code == 0
    assert "could not be fetched" in result.stderr
    assert "lk-logo-default" in login_page(client, shop)


def test_a_new_logo_replaces_the_old_and_clearing_removes_it(client, runner, shop, images):
    first = set_logo(runner, shop, images.serve("/a.png", PNG, "image/png"))
    assert first.exit_code == 0
    refused = set_logo(runner, shop, images.serve("/b.svg", SVG, "image/svg+xml"))
    assert refused.exit_code == 0
    assert "/logos/" not in login_page(client, shop)  # the old image is not kept on

    set_logo(runner, shop, images.serve("/a.png", PNG, "image/png"))
    assert "/logos/" in login_page(client, shop, nonce="n-2")
    cleared = set_logo(runner, shop, "")
    assert cleared.exit_code == 0 and cleared.stderr == ""
    assert "lk-logo-default" in login_page(client, shop, nonce="n-3")


@pytest.mark.parametrize(
    "path", ["/logos/" + "0" * 64, "/logos/abc", "/logos/" + "A" * 64, "/logos/..%2fetc"]
)
def test_an_unknown_logo_is_a_404_page(client, path):
    response = client.get(path)

    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


def test_pages_may_load_images_only_from_latchkey(client, shop):
    csp = client.get("/authorize", query_string=shop.authorize_params()).headers[
        "Content-Security-Policy"
    ]

    assert "img-src 'self' data:;" in csp


def test_link_pages_and_link_emails_load_the_logo_from_latchkey(app, client, runner, shop, images):
    from app.accounts.connections import update_connection

    assert set_logo(runner, shop, images.serve("/logo.png", PNG, "image/png")).exit_code == 0
    with app.app_context():
        update_connection("email", send="link")
    page = LoginPage(client)
    page.open_authorize(**shop.authorize_params(nonce="n-link"))
    waiting = page.follow(page.submit_email("ida@example.com")).get_data(as_text=True)
    (email,) = messages_to(app, "ida@example.com")
    opened_elsewhere = app.test_client().get(email.link.replace("https://latchkey.test", ""))

    digest = hashlib.sha256(PNG).hexdigest()
    for html in (waiting, opened_elsewhere.get_data(as_text=True)):
        assert f'src="/logos/{digest}"' in html and images.url not in html
    assert f"https://latchkey.test/logos/{digest}" in email.html
    assert images.url not in email.html and images.url not in email.text
    assert images.requests == ["/logo.png"]
