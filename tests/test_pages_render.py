"""The hosted pages render with the view contract's context, accessibly and safely.

Each test renders one template (the Lock theme's candidate list, as the views do)
inside a request context and asserts on what a browser and a screen reader get.
"""

from __future__ import annotations

import re
from types import SimpleNamespace

import flask
import pytest

from app import create_app
from app.extensions import db
from app.look import themes
from app.web import screens
from app.web.forms import CodeForm, EmailForm

HOSTILE = '<script>alert("x")</script>'


def client_named(
    name="Acme Notes", logo_url=None, primary_color=None, background_color=None, logo_sha256=None
):
    return SimpleNamespace(
        name=name,
        logo_url=logo_url,
        logo_sha256=logo_sha256,
        primary_color=primary_color,
        background_color=background_color,
    )


def render(page: str, theme: str = "lock", **context) -> str:
    """Render a page the way the views do: theme override first, then the shared one."""
    flask.g.csp_nonce = "n"
    flask.g.theme = theme
    return flask.render_template(themes.template_for(page, theme), **context)


def tag(html: str, pattern: str) -> str:
    """The first start tag that matches a regex, e.g. r'<input[^>]*name="code"'."""
    match = re.search(pattern + r"[^>]*>", html)
    assert match, f"no tag matching {pattern!r}"
    return match.group(0)


def show(screen: screens.Screen, **overrides) -> str:
    """Render a screen as its view builds it (app/web/screens.py), with changes."""
    context = {"client": client_named()} | screen.context | overrides
    return render(screen.template, **context)


def email_page(**overrides) -> str:
    return show(screens.email(), **overrides)


def code_page(**overrides) -> str:
    screen = screens.code(
        ticket_id="tkt123",
        channel="email",
        recipient="alice@example.com",
        code_length=6,
        back_url="/authorize?client_id=abc",
    )
    return show(screen, **overrides)


def dead_page(reason: str, **overrides) -> str:
    screen = screens.dead(
        reason=reason,
        ticket_id="tkt123",
        channel="email",
        recipient="alice@example.com",
        back_url="/authorize?client_id=abc",
    )
    return show(screen, **overrides)


@pytest.fixture
def page(app):
    with app.test_request_context("/"):
        yield


# The layout


def test_layout_links_theme_stylesheet_and_has_no_unnonced_inline_style(page):
    html = email_page(client=client_named(primary_color="#0a7d5a"))

    assert 'href="/themes/lock/static/lock.css"' in html
    assert 'style="' not in html
    for opening in re.findall(r"<(?:style|script)\b[^>]*>", html):
        assert 'nonce="n"' in opening
    assert "--lk-primary:#0a7d5a" in html
    assert '<html lang="en">' in html


@pytest.mark.parametrize(
    ("color", "text"),
    [("#635dff", "#ffffff"), ("#ffd60a", "#111111"), ("#000", "#ffffff"), ("#FFF", "#111111")],
)
def test_button_text_keeps_contrast_on_the_primary_colour(page, color, text):
    html = email_page(client=client_named(primary_color=color))

    assert f"--lk-primary-text:{text}" in html


@pytest.mark.parametrize(
    "color", ["red;}</style><script>x()</script>", "#12345g", "url(x)", "#1234", ""]
)
def test_a_colour_that_is_not_hex_never_reaches_the_page(page, color):
    html = email_page(client=client_named(primary_color=color, background_color=color))

    assert "<style" not in html
    assert "<script>x()" not in html


def test_client_logo_comes_from_latchkey_and_a_hostile_name_is_escaped(page):
    digest = "ab" * 32
    client = client_named(name=HOSTILE, logo_url="https://cdn.example/l.png", logo_sha256=digest)
    html = email_page(client=client)

    assert HOSTILE not in html
    assert "&lt;script&gt;alert(" in html
    assert f'src="/logos/{digest}"' in html
    assert "cdn.example" not in html  # pages never load the logo from the app's host


def test_a_logo_url_that_was_not_kept_shows_the_default_logo(page):
    html = email_page(client=client_named(logo_url="https://cdn.example/l.png"))

    assert "cdn.example" not in html
    assert "lk-logo-default" in html


def test_default_logo_is_a_lock_glyph_when_client_has_none(page):
    html = email_page()

    assert "lk-logo-default" in html
    assert '<h1 class="lk-app-name">Acme Notes</h1>' in html


# Enter your email


def test_email_step_has_a_labelled_email_field_and_csrf(page):
    html = email_page()

    field = tag(html, r'<input[^>]*name="email"')
    for attribute in (
        'type="email"',
        'autocomplete="email"',
        'inputmode="email"',
        "autofocus",
        "required",
        'id="email"',
    ):
        assert attribute in field
    assert '<label class="lk-label" for="email">' in html
    assert 'name="csrf_token"' in html
    assert 'name="authz"' in html
    form = tag(html, r'<form class="lk-form"')
    assert 'method="post"' in form
    assert 'action="/login/start"' in form
    assert 'role="alert"' not in html
    assert "Enter your email to sign in or sign up." in html


def test_email_step_error_is_an_alert_tied_to_the_field(page):
    form = EmailForm(formdata=None)
    form.email.data = 'bob@@example"><b>'
    html = email_page(form=form, error="That doesn't look like an email address.")

    assert re.search(r'<div[^>]*role="alert"[^>]*>That doesn&#39;t look like', html)
    field = tag(html, r'<input[^>]*name="email"')
    assert 'aria-invalid="true"' in field
    assert 'aria-describedby="lk-error"' in field
    assert 'value="bob@@example&#34;&gt;&lt;b&gt;"' in field


# We sent a code


def test_code_step_field_suits_one_time_codes(page):
    html = code_page(code_length=8)

    field = tag(html, r'<input[^>]*name="code"')
    for attribute in (
        'autocomplete="one-time-code"',
        'inputmode="numeric"',
        'pattern="[0-9]*"',
        'maxlength="8"',
        "autofocus",
        "required",
        'value=""',
    ):
        assert attribute in field
    assert f'<label class="lk-label" for="{CodeForm(formdata=None).code.id}">Code</label>' in html
    assert "The code has 8 digits." in html


def test_code_step_names_the_recipient_and_posts_to_the_ticket(page):
    html = code_page(recipient='eve"<i>@example.com')

    assert "We sent a code to <strong" in html
    assert "eve&#34;&lt;i&gt;@example.com</strong>" in html
    assert 'action="/login/code/tkt123"' in html
    assert 'action="/login/resend/tkt123"' in html
    resend = tag(html, r'<button[^>]*form="lk-resend"')
    assert 'type="submit"' in resend
    assert html.count('name="csrf_token"') == 2
    assert 'href="/authorize?client_id=abc"' in html
    assert "Use another email" in html


def test_code_step_wrong_code_is_an_alert(page):
    html = code_page(error="That code isn't right. 2 tries left.")

    assert re.search(r'role="alert"[^>]*>That code isn&#39;t right. 2 tries left.<', html)
    field = tag(html, r'<input[^>]*name="code"')
    assert 'aria-invalid="true"' in field
    assert "lk-error" in field


def test_code_step_notice_is_a_status(page):
    html = code_page(notice="We sent the code again.")

    assert re.search(r'role="status"[^>]*>We sent the code again.<', html)
    assert 'role="alert"' not in html


# No dead ends


@pytest.mark.parametrize(
    ("reason", "headline"),
    [
        ("expired", "This code has expired"),
        ("attempts", "Too many wrong tries"),
        ("used", "This code was already used"),
    ],
)
def test_dead_code_offers_a_new_one(page, reason, headline):
    html = dead_page(reason)

    assert f'<h2 class="lk-heading">{headline}</h2>' in html
    assert f"<title>{headline} · Acme Notes</title>" in html
    form = tag(html, r'<form class="lk-form"')
    assert 'action="/login/restart/tkt123"' in form
    assert 'name="csrf_token"' in html
    assert "Send a new code" in html
    assert '<strong class="lk-recipient">alice@example.com</strong>' in html
    assert 'href="/authorize?client_id=abc"' in html


def test_code_from_another_browser_explains_and_links_back(page):
    html = dead_page("other_browser", recipient=None)

    assert "This code was requested in another browser." in html
    assert "Send a new code" not in html
    assert "/login/restart/" not in html
    assert 'class="lk-submit" href="/authorize?client_id=abc"' in html


# Errors


def test_error_page_without_a_client(page):
    html = render(
        "error.html",
        client=None,
        status=400,
        title="This link can't be used",
        message="The app sent you here with a link it isn't allowed to use.",
    )

    assert '<h1 class="lk-app-name">Latchkey</h1>' in html
    assert "This link can&#39;t be used" in html
    assert "Error 400" in html
    assert "Traceback" not in html


def test_error_page_through_the_app(client):
    response = client.get("/no-such-page")

    assert response.status_code == 404
    assert b"Page not found" in response.data
    assert b"/themes/lock/static/lock.css" in response.data


# The demo relying app


@pytest.fixture
def demo_app(tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret-key-not-for-production",
            "ISSUER": "https://latchkey.test",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'demo.sqlite'}",
            "EMAIL_PROVIDER": "dev",
            "DISPATCHER_THREAD": False,
            "RATELIMIT_ENABLED": False,
            "DEMO": True,
        }
    )
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_demo_signed_out_offers_sign_in(demo_app):
    with demo_app.test_request_context("/demo/"):
        html = render("demo/index.html", user=None, claims={}, error=None)

    assert 'href="/demo/login"' in html
    assert "/demo/logout" not in html
    assert "lk-card" not in html
    assert "/static/demo.css" in html


def test_demo_signed_in_shows_every_claim(demo_app):
    claims = {
        "sub": "usr_1",
        "email": "alice@example.com",
        "amr": ["otp", "email"],
        "exp": 1764130000,
        "email_verified": True,
        "name": HOSTILE,
    }
    with demo_app.test_request_context("/demo/"):
        html = render("demo/index.html", user=claims, claims=claims, error="It failed <b>")

    assert "Signed in as alice@example.com" in html
    for key in claims:
        assert f"<code>{key}</code>" in html
    assert "1764130000" in html
    assert '<code>["otp", "email"]</code>' in html
    assert ">true<" in html
    assert HOSTILE not in html
    assert re.search(
        r'role="alert"[^>]*>\s*<strong>Sign-in failed.</strong> It failed &lt;b&gt;', html
    )
    assert 'href="/demo/logout"' in html
