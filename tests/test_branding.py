"""Per-client branding: colours validated, text on them kept readable, applied to pages."""

from __future__ import annotations

import hashlib
import json
import re

import pytest
from helpers import RelyingApp

from app.look import colours


@pytest.mark.parametrize(
    "value, expected",
    [("#635DFF", "#635dff"), (" #abc ", "#aabbcc"), ("#000000", "#000000")],
)
def test_parse_color(value, expected):
    assert colours.parse_color(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "red",
        "#12345",
        "#ggg",
        "635dff",
        "#635dff;}body{display:none",
        "",
        None,
        "#fff\n;",
        "rgb(0,0,0)",
    ],
)
def test_invalid_colors_are_refused(value):
    with pytest.raises(colours.InvalidColor, match="#rrggbb"):
        colours.parse_color(value)
    assert colours.safe_color(value) is None


def test_contrast_matches_wcag():
    assert colours.contrast("#000000", "#ffffff") == pytest.approx(21)
    assert colours.contrast("#ffffff", "#ffffff") == pytest.approx(1)
    assert colours.contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)


@pytest.mark.parametrize(
    "color, text",
    [
        ("#635dff", "#ffffff"),
        ("#ffd400", "#111111"),
        ("#ea5323", "#111111"),
        ("#0a7d5a", "#ffffff"),
    ],
)
def test_text_on_a_colour_is_the_more_readable(color, text):
    assert colours.text_on(color) == text
    assert colours.contrast(color, colours.text_on(color)) >= colours.AA_CONTRAST


@pytest.mark.parametrize("color", ["#ffd400", "#7fdbff", "#ea5323", "#ff00ff", "#ffffff"])
def test_light_brand_colours_are_darkened_for_links_on_white(color):
    link = colours.readable_on(color, "#ffffff")
    assert colours.contrast(link, "#ffffff") >= colours.AA_CONTRAST
    assert link != "#000000" or color == "#ffffff"


def test_dark_colours_are_kept_and_lightened_on_dark_backgrounds():
    assert colours.readable_on("#0a3d62") == "#0a3d62"
    light = colours.readable_on("#0a3d62", "#111111")
    assert colours.contrast(light, "#111111") >= colours.AA_CONTRAST


def test_brand_properties_leave_out_invalid_values():
    assert colours.brand_properties("javascript:", "#zzz") == {}
    properties = colours.brand_properties("#ffd400", "#2b2d42")
    assert properties["--lk-primary"] == "#ffd400"
    assert properties["--lk-primary-text"] == "#111111"
    assert colours.contrast(properties["--lk-link"], "#ffffff") >= 4.5
    assert properties["--lk-page-text"] == "#ffffff"


def clients(runner, *args):
    return runner.invoke(args=["clients", *args])


@pytest.fixture
def relying_app(app):
    return RelyingApp.register(app, name="Brand Co")


def test_branding_through_the_cli_reaches_pages_and_emails(app, client, runner, relying_app):
    from image_server import ImageServer, tiny_png

    with ImageServer() as images:
        logo_url = images.serve("/logo.png", tiny_png(), "image/png")
        result = clients(
            runner,
            "update",
            relying_app.client_id,
            "--logo-url",
            logo_url,
            "--primary-color",
            "#FFD400",
            "--background-color",
            "#123",
            "--theme",
            "custom",
            "--language",
            "pt-br",
            "--json",
        )
    assert result.exit_code == 0, result.output
    logo_src = 'src="/logos/' + hashlib.sha256(tiny_png()).hexdigest() + '"'
    data = json.loads(result.output)
    assert data["primary_color"] == "#ffd400"
    assert data["background_color"] == "#112233"
    assert data["default_language"] == "pt_BR"
    assert data["theme"] == "custom"

    html = client.get("/authorize", query_string=relying_app.authorize_params()).get_data(
        as_text=True
    )
    assert "/themes/custom/static/custom.css" in html
    style = re.search(r"<style nonce=\"[^\"]+\">:root\{([^<]*)\}</style>", html).group(1)
    assert "--lk-primary:#ffd400" in style and "--lk-primary-text:#111111" in style
    assert "--lk-bg:#112233" in style and "--lk-page-text:#ffffff" in style
    assert logo_src in html and "127.0.0.1" not in html
    assert '<html lang="pt-BR">' in html

    from helpers import LoginPage, messages_to

    page = LoginPage(client)
    page.open_authorize(**relying_app.authorize_params())
    page.submit_email("bia@example.com")
    (message,) = messages_to(app, "bia@example.com")
    assert "é seu código para Brand Co" in message.subject
    assert logo_src.replace('"/logos', '"https://latchkey.test/logos') in message.html
    assert "border-top:4px solid #ffd400" in message.html

    clients(runner, "update", relying_app.client_id, "--language", "en")
    connections = runner.invoke(args=["connections", "update", "email", "--send", "link"])
    assert connections.exit_code == 0, connections.output
    page.open_authorize(**relying_app.authorize_params(nonce="n-link"))
    page.submit_email("link@example.com")
    (link_email,) = messages_to(app, "link@example.com")
    assert "background:#ffd400;border-radius:6px;color:#111111;" in link_email.html

    cleared = clients(runner, "update", relying_app.client_id, "--primary-color", "", "--json")
    assert json.loads(cleared.output)["primary_color"] is None


@pytest.mark.parametrize(
    "option, value, says",
    [
        ("--primary-color", "tomato", "#rrggbb"),
        ("--background-color", "#12", "#rrggbb"),
        ("--logo-url", "http://cdn.example/logo.png", "https://"),
        ("--logo-url", "https://cdn.example/a b.png", "spaces"),
        ("--logo-url", 'https://x.example/"><script>', "quotes"),
        ("--theme", "../lock", "Unknown theme"),
        ("--language", "xx", "Unknown language"),
    ],
)
def test_bad_branding_is_refused(runner, relying_app, option, value, says):
    result = clients(runner, "update", relying_app.client_id, option, value)
    assert result.exit_code == 1
    assert says in result.output
    assert "Traceback" not in result.output
