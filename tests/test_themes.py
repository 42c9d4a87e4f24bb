"""Themes: theme.toml, `flask themes list|new`, and the preview pages."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from app.look import themes


def test_both_themes_ship_with_their_settings():
    assert {"lock", "custom"} <= set(themes.available())
    lock, custom = themes.load("lock"), themes.load("custom")
    assert lock.colors["primary"] == "#635dff"
    assert custom.colors["primary"] == "#0f766e"
    for theme in (lock, custom):
        assert (theme.path / "static" / f"{theme.name}.css").is_file()
        css = (theme.path / "static" / f"{theme.name}.css").read_text()
        assert f"--lk-primary: {theme.colors['primary']};" in css


def test_broken_theme_toml_is_reported(tmp_path):
    (tmp_path / "odd" / "templates").mkdir(parents=True)
    (tmp_path / "odd" / "theme.toml").write_text('name = "odd"\n[colors]\nprimary = "blue"\n')
    with pytest.raises(themes.ThemeError, match="primary"):
        themes.load("odd", tmp_path)
    (tmp_path / "odd" / "theme.toml").write_text("name = \n")
    with pytest.raises(themes.ThemeError, match="theme.toml"):
        themes.load("odd", tmp_path)
    with pytest.raises(themes.ThemeError, match="No theme"):
        themes.load("../odd", tmp_path)


def test_scaffold_copies_custom(tmp_path):
    import shutil

    shutil.copytree(themes.THEMES_DIR / "custom", tmp_path / "custom")
    path = themes.scaffold("acme", "custom", tmp_path)
    assert (path / "static" / "acme.css").is_file()
    assert not (path / "static" / "custom.css").exists()
    theme = themes.load("acme", tmp_path)
    assert theme.name == "acme" and "Made from custom" in theme.description
    with pytest.raises(themes.ThemeError, match="already exists"):
        themes.scaffold("acme", "custom", tmp_path)
    for bad in ("Acme", "../x", "", "a" * 40, "a b"):
        with pytest.raises(themes.ThemeError, match="lower-case"):
            themes.scaffold(bad, "custom", tmp_path)


@pytest.mark.parametrize("source", ["custom", "lock"])
def test_scaffold_leaves_no_comment_naming_the_source(tmp_path, source):
    import re
    import shutil

    shutil.copytree(themes.THEMES_DIR / source, tmp_path / source)
    path = themes.scaffold("acme", source, tmp_path)

    sheet = (path / "static" / "acme.css").read_text()
    toml = (path / "theme.toml").read_text()
    readme = (path / "templates" / "README.md").read_text()
    assert sheet.startswith("/*\n * acme: a Latchkey theme made from " + source)
    assert toml.startswith("# The acme theme, made from " + source)
    assert "static/acme.css" in toml and "static/acme.css" in readme
    # "custom properties" is CSS's own term; any other mention of the source is stale.
    for text in (sheet, toml, readme):
        stale = re.findall(rf"\b{source}\b(?! properties)", text.replace(f"from {source}", ""))
        assert stale == [], text[:400]
    assert themes.load("acme", tmp_path).colors == themes.load(source, tmp_path).colors


def test_themes_cli(runner, monkeypatch, tmp_path):
    import shutil

    shutil.copytree(themes.THEMES_DIR / "custom", tmp_path / "custom")
    shutil.copytree(themes.THEMES_DIR / "lock", tmp_path / "lock")
    monkeypatch.setattr(themes, "THEMES_DIR", tmp_path)
    listed = runner.invoke(args=["themes", "list"])
    assert "lock  Auth0 Lock look" in listed.output
    assert "custom  Clean and modern" in listed.output
    made = runner.invoke(args=["themes", "new", "mybrand", "--from", "custom"])
    assert made.exit_code == 0, made.output
    assert "static/mybrand.css" in made.output
    assert (tmp_path / "mybrand" / "static" / "mybrand.css").is_file()
    again = runner.invoke(args=["themes", "new", "mybrand"])
    assert again.exit_code == 1 and "already exists" in again.output


def test_preview_is_not_there_outside_debug(client):
    assert client.get("/preview/").status_code == 404


@pytest.fixture
def preview(make_app):
    app = make_app(PREVIEW_PASSWORD="let-me-see")
    token = base64.b64encode(b"designer:let-me-see").decode()
    http = app.test_client()
    http.environ_base["HTTP_AUTHORIZATION"] = f"Basic {token}"
    return http


def test_preview_asks_for_the_password(make_app):
    http = make_app(PREVIEW_PASSWORD="let-me-see").test_client()
    assert http.get("/preview/").status_code == 401
    wrong = base64.b64encode(b"x:nope").decode()
    assert http.get("/preview/", headers={"Authorization": f"Basic {wrong}"}).status_code == 401


def test_preview_shows_every_screen_of_a_theme(preview):
    overview = preview.get("/preview/themes/custom?lang=all").get_data(as_text=True)
    for screen in ("email", "code-wrong", "dead-expired", "dead-other_browser", "error"):
        for lang in ("en", "ja", "pt_BR"):
            assert f"/preview/themes/custom/{screen}?lang={lang}" in overview
    framed = preview.get("/preview/themes/custom/code-wrong?lang=de&client=branded")
    assert framed.status_code == 200
    html = framed.get_data(as_text=True)
    assert "Dieser Code stimmt nicht. Noch 2 Versuche." in html
    assert "/themes/custom/static/custom.css" in html
    assert "frame-ancestors 'self'" in framed.headers["Content-Security-Policy"]
    assert framed.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert preview.get("/preview/themes/nope").status_code == 404
    assert preview.get("/preview/themes/lock/nope").status_code == 404
    assert preview.get("/preview/themes/lock/email?client=evil").status_code == 404


def test_preview_shows_every_message_in_every_language(preview):
    page = preview.get("/preview/messages/email_code").get_data(as_text=True)
    assert "428913 is your code for Acme Notes" in page
    assert "Acme Notes のコードは 428913 です" in page
    html = preview.get("/preview/messages/email_code/ja.html")
    assert html.headers["Content-Security-Policy"].startswith("sandbox")
    assert '<html lang="ja">' in html.get_data(as_text=True)
    assert preview.get("/preview/messages/nope").status_code == 404
    assert preview.get("/preview/messages/email_code/xx.html").status_code == 404


def test_preview_version_changes_when_a_file_changes(preview, tmp_path, monkeypatch):
    from app.web import samples

    monkeypatch.setattr(samples, "ROOT", tmp_path)
    (tmp_path / "themes").mkdir()
    (tmp_path / "themes" / "a.css").write_text("a{}")
    first = preview.get("/preview/version").get_json()["version"]
    import os

    os.utime(tmp_path / "themes" / "a.css", ns=(1, 10**19 // 10))
    assert preview.get("/preview/version").get_json()["version"] != first


def test_unknown_default_theme_is_refused_at_start(make_app):
    from app.config import ConfigError

    with pytest.raises(ConfigError, match="FLASK_DEFAULT_THEME"):
        make_app(DEFAULT_THEME="nope")
    assert "/themes/custom/static/custom.css" in make_app(DEFAULT_THEME="custom").test_client().get(
        "/no-such-page"
    ).get_data(as_text=True)


@pytest.mark.parametrize("screen", ["link-wait", "link-wait-approved", "link-open"])
def test_preview_screens_neither_submit_nor_poll(preview, screen):
    """The preview's CSP sends no form (form-action 'none'): a screen that submits
    itself or polls would never finish loading there."""
    page = preview.get(f"/preview/themes/lock/{screen}").get_data(as_text=True)
    assert ".submit()" not in page and "fetch(" not in page
    assert 'class="lk-heading"' in page


def test_the_demo_app_has_one_name(app):
    from app.accounts.demo import DEMO_NAME, ensure_demo_client

    with app.app_context():
        client, _ = ensure_demo_client()
        assert client.name == DEMO_NAME
    demo_page = (Path(__file__).resolve().parent.parent / "templates/demo/index.html").read_text()
    assert '{{ _("' + DEMO_NAME + '") }}' in demo_page
