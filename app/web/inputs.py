"""The pages' `<input>` fields, rendered without WTForms' per-field widget machinery.

WTForms renders a text or hidden field by calling its widget, which walks `dir()`
of the field's flags and formats every attribute through `Markup.format` (a
`string.Formatter` in Python): about a tenth of a hosted page's CPU for four
inputs. `render_input` writes the same HTML (the same attributes, sorted the same
way, escaped the same way) directly; any other widget, or a field WTForms would
render differently (a datalist), is left to WTForms (`PageForm.Meta.render_field`).
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape
from wtforms.widgets import HiddenInput, TextInput

FAST_WIDGETS = (TextInput, HiddenInput)


def renders_fast(field: Any) -> bool:
    """Whether `render_input` writes this field (a plain text or hidden input)."""
    return type(field.widget) in FAST_WIDGETS and getattr(field, "_datalist", None) is None


def render_input(field: Any, attributes: dict[str, Any]) -> Markup:
    """`field.widget(field, **attributes)` for a plain text or hidden input, as WTForms
    writes it (wtforms.widgets.Input.__call__ and html_params)."""
    widget = field.widget
    attributes = dict(attributes)
    attributes.setdefault("id", field.id)
    attributes.setdefault("type", widget.input_type)
    if "value" not in attributes:
        attributes["value"] = field._value()
    flags = vars(field.flags) if hasattr(field, "flags") else {}
    for name in widget.validation_attrs:
        if name in flags and name not in attributes:
            value = flags[name]
            attributes[name] = value() if callable(value) else value
    attributes["name"] = field.name
    return Markup(f"<input {html_params(attributes)}>")


def html_params(attributes: dict[str, Any]) -> str:
    """wtforms.widgets.html_params: sorted by the given names, `class_` → `class`,
    `aria_x`/`data_x` → `aria-x`/`data-x`, True as a bare name, False left out."""
    params = []
    for key, value in sorted(attributes.items()):
        key = escape(_attribute_name(key))
        if value is True:
            params.append(key)
        elif value is not False:
            text = str(escape(value))
            if '"' in text:  # only a Markup value can still hold one
                text = text.replace('"', "&quot;")
            params.append(f'{key}="{text}"')
    return " ".join(params)


def _attribute_name(key: str) -> str:
    key = key.rstrip("_")
    if key.startswith(("data_", "aria_")):
        key = key.replace("_", "-")
    return key
