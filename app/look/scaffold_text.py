"""The words of a new theme's files: `themes new acme --from custom` leaves no
comment that still says "custom" (a header naming the new theme and where it came
from; paths to the old stylesheet renamed). Plain text in, plain text out."""

from __future__ import annotations

import re


def theme_toml(text: str, name: str, source: str) -> str:
    """theme.toml: a new header comment, `name`, a description to fill in."""
    body = _without_leading_comments(text)
    body = re.sub(r'(?m)^name = ".*"$', f'name = "{name}"', body, count=1)
    body = re.sub(
        r'(?m)^description = ".*"$',
        f'description = "Made from {source}: describe your theme here."',
        body,
        count=1,
    )
    header = (
        f"# The {name} theme, made from {source} "
        f"(flask --app wsgi themes new {name} --from {source}).\n"
        f"# Its stylesheet is static/{name}.css; files in templates/ override the\n"
        "# shared templates/ by file name.\n"
    )
    return header + _renamed_paths(body, name, source)


def stylesheet(text: str, name: str, source: str) -> str:
    """static/<name>.css: the first comment block becomes a header for the new theme."""
    header = (
        "/*\n"
        f" * {name}: a Latchkey theme made from {source}\n"
        f" * (flask --app wsgi themes new {name} --from {source}).\n"
        " *\n"
        " * Change the look by changing the custom properties below; every rule reads\n"
        " * them. The page sets --lk-primary, --lk-primary-text, --lk-link, --lk-bg and\n"
        " * --lk-page-text per client (app/look/colours.py keeps them AA-readable).\n"
        " * The markup is the shared markup in templates/ (classes lk-*).\n"
        " */"
    )
    stripped = text.lstrip()
    if stripped.startswith("/*") and "*/" in stripped:
        stripped = stripped[stripped.index("*/") + 2 :]
        return header + _renamed_paths(stripped, name, source)
    return header + "\n\n" + _renamed_paths(text, name, source)


def templates_readme(name: str) -> str:
    """templates/README.md of the new theme (the folder must exist to be listed)."""
    return (
        "Templates placed here override the shared ones in `templates/` by file name\n"
        "(for example `login/email.html` or `layout.html`). Copy a shared template here\n"
        "only when the markup itself must change; most looks are CSS only, in\n"
        f"`../static/{name}.css`. Keep every string inside `_()` so it stays translated,\n"
        "and keep the form field names (`email`, `code`, …) and the `lk-*` ids that\n"
        "the pages' `aria-describedby` attributes point to.\n"
    )


def notes_readme(text: str, source: str) -> str:
    """A theme's own README.md (design notes) travels along, marked as the source's."""
    return (
        f"> Copied from the `{source}` theme: the notes below describe `{source}`; "
        "rewrite them for yours.\n\n" + text
    )


def _without_leading_comments(text: str) -> str:
    lines = text.splitlines(keepends=True)
    while lines and (lines[0].startswith("#") or not lines[0].strip()):
        lines.pop(0)
    return "".join(lines)


def _renamed_paths(text: str, name: str, source: str) -> str:
    return re.sub(rf"\bstatic/{re.escape(source)}\.css\b", f"static/{name}.css", text)
