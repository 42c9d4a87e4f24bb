"""Themes: a folder `themes/<name>/` that restyles the hosted pages.

A theme holds `theme.toml` (name, description, default colours), a stylesheet
`static/<name>.css` built on CSS custom properties, and `templates/`, whose
files override the shared `templates/` by file name.
"""

from __future__ import annotations

import re
import shutil
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from app import data_folders
from app.look import colours, scaffold_text

THEMES_DIR = data_folders.folder("themes")
NAME = re.compile(r"^[a-z][a-z0-9-]{0,31}$")


class ThemeError(ValueError):
    """A theme cannot be read or made; the message says why."""


@dataclass(frozen=True)
class Theme:
    """A theme as described by its theme.toml."""

    name: str
    description: str
    colors: dict[str, str] = field(default_factory=dict)
    path: Path = THEMES_DIR


def available(root: Path | None = None) -> list[str]:
    """Names of the installed themes (folders with a `templates/` folder)."""
    root = root or THEMES_DIR
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / "templates").is_dir())


def load(name: str, root: Path | None = None) -> Theme:
    """Read a theme's theme.toml; raises ThemeError when it is missing or malformed."""
    root = root or THEMES_DIR
    if not NAME.match(name or "") or name not in available(root):
        raise ThemeError(f"No theme named {name!r}; installed: {', '.join(available(root))}.")
    path = root / name
    try:
        data = tomllib.loads((path / "theme.toml").read_text(encoding="utf-8"))
    except FileNotFoundError:
        data = {}
    except tomllib.TOMLDecodeError as error:
        raise ThemeError(f"themes/{name}/theme.toml: {error}") from None
    colors = {}
    for key, value in (data.get("colors") or {}).items():
        try:
            colors[key] = colours.parse_color(value)
        except colours.InvalidColor as error:
            raise ThemeError(f"themes/{name}/theme.toml [colors] {key}: {error}") from None
    return Theme(
        name=str(data.get("name") or name),
        description=str(data.get("description") or ""),
        colors=colors,
        path=path,
    )


def scaffold(name: str, source: str = "custom", root: Path | None = None) -> Path:
    """Copy theme `source` to `themes/<name>/`, renaming its stylesheet and theme.toml name."""
    root = root or THEMES_DIR
    if not NAME.match(name or ""):
        raise ThemeError(
            f"A theme name is lower-case letters, digits and dashes, starting with a letter, "
            f"not {name!r}."
        )
    if (root / name).exists():
        raise ThemeError(f"themes/{name} already exists.")
    origin = load(source, root).path
    target = root / name
    shutil.copytree(origin, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    sheet = target / "static" / f"{source}.css"
    if sheet.exists():
        renamed = target / "static" / f"{name}.css"
        sheet.rename(renamed)
        _rewrite(renamed, scaffold_text.stylesheet, name, source)
    _rewrite(target / "theme.toml", scaffold_text.theme_toml, name, source)
    if (target / "templates").is_dir():
        (target / "templates" / "README.md").write_text(
            scaffold_text.templates_readme(name), encoding="utf-8"
        )
    notes = target / "README.md"
    if notes.exists():
        notes.write_text(scaffold_text.notes_readme(notes.read_text("utf-8"), source), "utf-8")
    return target


def _rewrite(path: Path, rewrite, name: str, source: str) -> None:
    if path.exists():
        path.write_text(rewrite(path.read_text(encoding="utf-8"), name, source), encoding="utf-8")


def template_for(page: str, theme: str | None) -> list[str]:
    """Candidate template names for a page: the theme's own first, then the shared one."""
    names = []
    if theme:
        names.append(f"theme:{theme}/{page}")
    names.append(page)
    return names
