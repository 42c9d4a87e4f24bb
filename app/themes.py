"""Themes: `themes/<name>/templates` overrides `templates/` by file name."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, abort, g, send_from_directory
from jinja2 import ChoiceLoader, FileSystemLoader, PrefixLoader

THEMES_DIR = Path(__file__).resolve().parent.parent / "themes"


def available() -> list[str]:
    return sorted(p.name for p in THEMES_DIR.iterdir() if (p / "templates").is_dir())


def template_for(page: str, theme: str | None) -> list[str]:
    """Candidate template names for a page: the theme's own first, then the shared one."""
    names = []
    if theme:
        names.append(f"theme:{theme}/{page}")
    names.append(page)
    return names


def init_app(app: Flask) -> None:
    """Let templates be looked up per theme and serve each theme's static files."""
    theme_loaders = {
        name: FileSystemLoader(str(THEMES_DIR / name / "templates")) for name in available()
    }
    app.jinja_loader = ChoiceLoader(
        [
            PrefixLoader({f"theme:{n}": loader for n, loader in theme_loaders.items()}, "/"),
            FileSystemLoader(str(Path(app.root_path) / app.template_folder)),
        ]
    )

    @app.route("/themes/<theme>/static/<path:filename>")
    def theme_static(theme: str, filename: str):
        if theme not in theme_loaders:
            abort(404)
        return send_from_directory(THEMES_DIR / theme / "static", filename, max_age=3600)

    @app.context_processor
    def theme_context():
        return {"theme": getattr(g, "theme", app.config["DEFAULT_THEME"])}
