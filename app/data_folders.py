"""Where Latchkey's shipped files live: themes, templates, static, translations, migrations.

In a source checkout (`make run`, `pip install -e .`) they are the folders at the top
of the repository, where people edit them. An installed wheel (`pip install .`)
carries copies inside the package, in `app/_data/`, put there by the build hook in
`setup.py` (which also compiles the page catalogs). Code that reads these files asks
`folder(name)` and works in both layouts.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
BUNDLED_DIR = PACKAGE_DIR / "_data"
FOLDERS = ("themes", "templates", "static", "translations", "migrations")


def _root() -> Path:
    """The folder holding FOLDERS: the wheel's bundled copy, else the checkout's top."""
    if (BUNDLED_DIR / "templates").is_dir():
        return BUNDLED_DIR
    return PACKAGE_DIR.parent


ROOT = _root()


def folder(name: str) -> Path:
    """The path of one shipped folder (`themes`, `templates`, …) in this layout."""
    if name not in FOLDERS:
        raise ValueError(f"not a shipped folder: {name!r}")
    return ROOT / name
