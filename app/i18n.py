"""Languages: the ones shipped, where their catalogs are, and how a tag maps to one.

Plain functions the domain may use; which language a request gets is decided in
app/web/locale.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from . import data_folders

LANGUAGES = ("en", "es", "fr", "de", "pt_BR", "it", "nl", "ja")
DEFAULT_LANGUAGE = "en"
TRANSLATIONS_DIR = data_folders.folder("translations")

_TAG = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8}){0,4}$")
_BY_KEY = {code.lower().replace("_", "-"): code for code in LANGUAGES}
# A bare language with one regional variant shipped maps to that variant.
_BASE = {code.split("_")[0].lower(): code for code in LANGUAGES}


def best_language(tags: Iterable[str | None]) -> str | None:
    """The first supported language among BCP 47 tags (best first), or None.

    An exact match wins ("pt-BR"); otherwise the base language ("es-MX" → "es",
    "pt-PT" → "pt_BR", the only Portuguese shipped). Malformed tags are skipped.
    """
    for tag in tags:
        tag = (tag or "").strip()
        if not tag or len(tag) > 35 or not _TAG.match(tag):
            continue
        key = tag.lower().replace("_", "-")
        if key in _BY_KEY:
            return _BY_KEY[key]
        base = key.split("-")[0]
        if base in _BASE:
            return _BASE[base]
    return None


def split_ui_locales(value: str | None) -> list[str]:
    """OpenID Connect's ui_locales: space-separated tags, most preferred first."""
    return (value or "").split()[:10]
