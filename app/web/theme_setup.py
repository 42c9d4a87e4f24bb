"""The hosted pages' themes in this app: template lookup per theme, each theme's
static files (`/themes/<theme>/static/…`) and the `theme` every page renders with.

What a theme is (its folder, settings, colours) lives in app/look.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, abort, g, send_from_directory
from jinja2 import ChoiceLoader, FileSystemLoader, PrefixLoader

from app.config import ConfigError
from app.look import colours, themes


def init_app(app: Flask) -> None:
    """Let templates be looked up per theme and serve each theme's static files."""
    theme_loaders = {
        name: FileSystemLoader(str(themes.THEMES_DIR / name / "templates"))
        for name in themes.available()
    }
    if app.config["DEFAULT_THEME"] not in theme_loaders:
        raise ConfigError(
            f"FLASK_DEFAULT_THEME must be an installed theme ({', '.join(theme_loaders)}), "
            f"not {app.config['DEFAULT_THEME']!r}."
        )
    app.jinja_loader = ChoiceLoader(
        [
            PrefixLoader({f"theme:{n}": loader for n, loader in theme_loaders.items()}, "/"),
            FileSystemLoader(str(Path(app.root_path) / app.template_folder)),
        ]
    )
    app.jinja_env.globals["brand_style"] = colours.brand_style

    @app.route("/themes/<theme>/static/<path:filename>")
    def theme_static(theme: str, filename: str):
        if theme not in theme_loaders:
            abort(404)
        max_age = 0 if app.debug else 3600
        return send_from_directory(themes.THEMES_DIR / theme / "static", filename, max_age=max_age)

    @app.context_processor
    def theme_context():
        return {"theme": getattr(g, "theme", app.config["DEFAULT_THEME"])}
