"""Compiled page catalogs (.mo) next to their sources (.po), without `make`.

A wheel ships catalogs compiled at build time (setup.py). A source checkout keeps
only the .po files in git; `make` compiles them, and so does `compile_stale()` when
the app starts, so `pip install -e .` then `flask run` serves every language too.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

logger = logging.getLogger(__name__)


def compile_catalog(po_path: Path, mo_path: Path) -> None:
    """Compile one catalog (fuzzy entries included, as `make` does), replacing atomically.

    Several processes starting at once may compile the same catalog: each writes its
    own temporary file and renames it into place, so no reader sees half a file.
    """
    with po_path.open("rb") as source:
        catalog = read_po(source)
    handle, temporary = tempfile.mkstemp(dir=mo_path.parent, suffix=".mo.tmp")
    try:
        with os.fdopen(handle, "wb") as target:
            write_mo(target, catalog, use_fuzzy=True)
        os.chmod(temporary, 0o644)
        os.replace(temporary, mo_path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def stale(translations: Path) -> list[Path]:
    """The .po files under `translations` whose .mo is missing or older."""
    found = []
    for po_path in sorted(translations.glob("*/LC_MESSAGES/*.po")):
        mo_path = po_path.with_suffix(".mo")
        if not mo_path.exists() or mo_path.stat().st_mtime < po_path.stat().st_mtime:
            found.append(po_path)
    return found


def compile_stale(translations: Path) -> int:
    """Compile every stale catalog; returns how many. A read-only folder is left as it is
    (logged): pages then fall back to English rather than failing to start."""
    count = 0
    for po_path in stale(translations):
        try:
            compile_catalog(po_path, po_path.with_suffix(".mo"))
        except OSError as error:
            logger.warning("cannot compile %s: %s", po_path.name, error.strerror)
            continue
        count += 1
    return count
