"""Without `make`: page catalogs compile when the app starts (pip install -e ., flask run)."""

from __future__ import annotations

import os
import shutil

from babel.support import Translations

from app import catalogs, data_folders


def copy_of_sources(tmp_path):
    """translations/ as git has it: .po files only."""
    target = tmp_path / "translations"
    shutil.copytree(
        data_folders.folder("translations"), target, ignore=shutil.ignore_patterns("*.mo", "*.pot")
    )
    return target


def test_missing_catalogs_are_compiled_and_translate(tmp_path):
    translations = copy_of_sources(tmp_path)

    assert catalogs.compile_stale(translations) == 7
    french = Translations.load(str(translations), ["fr"])
    assert french.gettext("Continue") == "Continuer"
    assert catalogs.stale(translations) == []


def test_a_catalog_older_than_its_source_is_compiled_again(tmp_path):
    translations = copy_of_sources(tmp_path)
    catalogs.compile_stale(translations)
    po = translations / "de" / "LC_MESSAGES" / "messages.po"
    mo = po.with_suffix(".mo")
    os.utime(mo, (po.stat().st_mtime - 60, po.stat().st_mtime - 60))

    assert catalogs.stale(translations) == [po]
    assert catalogs.compile_stale(translations) == 1
    assert mo.stat().st_mtime >= po.stat().st_mtime


def test_a_folder_it_cannot_write_is_logged_and_left_alone(tmp_path, caplog, monkeypatch):
    translations = copy_of_sources(tmp_path)
    real_compile = catalogs.compile_catalog

    def refuse_french(po_path, mo_path):
        if "/fr/" in str(po_path):
            raise PermissionError(13, "Permission denied")
        real_compile(po_path, mo_path)

    monkeypatch.setattr(catalogs, "compile_catalog", refuse_french)

    assert catalogs.compile_stale(translations) == 6
    assert "cannot compile messages.po: Permission denied" in caplog.text
    assert not (translations / "fr" / "LC_MESSAGES" / "messages.mo").exists()


def test_the_app_compiles_catalogs_at_start_and_serves_french(make_app, tmp_path, monkeypatch):
    from flask_babel import gettext

    from app.web import locale

    translations = copy_of_sources(tmp_path)
    monkeypatch.setattr(locale, "TRANSLATIONS_DIR", translations)

    app = make_app()

    assert (translations / "fr" / "LC_MESSAGES" / "messages.mo").is_file()
    with app.test_request_context("/", headers={"Accept-Language": "fr"}):
        assert gettext("Continue") == "Continuer"
