"""The hosted pages' themes in this app: template lookup per theme, each theme's
static files (`/themes/<theme>/static/…`) and the `theme` every page renders with.

What a theme is (its folder, settings, colours) lives in app/look.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, abort, current_app, g, render_template, send_from_directory
from jinja2 import ChoiceLoader, FileSystemLoader, PrefixLoader, Template

from app.config import ConfigError
from app.look import colours, themes
from app.models import Client


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


PAGE_TEMPLATES = "latchkey.page_templates"


def use_theme(client: Client | None) -> str:
    """Set this response's page theme (the app's own, else FLASK_DEFAULT_THEME) and keep
    it from browser caches, as every hosted page is; the theme."""
    g.theme = (client.theme if client else None) or current_app.config["DEFAULT_THEME"]
    g.no_store = True
    return g.theme


def render_page(page: str, client: Client | None, **context) -> str:
    """A hosted page in the app's theme: the theme's own template, else the shared one."""
    return render_template(page_template(page, use_theme(client)), client=client, **context)


def page_template(page: str, theme: str | None) -> Template | list[str]:
    """What a page renders with in `theme`: the theme's own template, else the shared one.

    Resolved once per process and (page, theme) while Jinja does not reload templates
    (`auto_reload` off, as outside debug, when it would not notice an edited template
    either): a theme without its own page otherwise costs a failed lookup through every
    template loader at each render. In debug, the names, looked up afresh each time."""
    names = themes.template_for(page, theme)
    environment = current_app.jinja_env
    if environment.auto_reload:
        return names
    resolved = current_app.extensions.setdefault(PAGE_TEMPLATES, {})
    template = resolved.get((page, theme))
    if template is None:
        template = resolved[(page, theme)] = environment.select_template(names)
    return template
