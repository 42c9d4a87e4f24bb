"""Per-client colours: validate them, and keep text on them readable (WCAG AA).

A client may set a primary colour (buttons, links) and a page background. The
page never trusts them as CSS: only a canonical "#rrggbb" reaches the
stylesheet, and the text drawn on each colour is chosen (or the colour darkened)
so that it keeps a contrast of at least 4.5:1.
"""

from __future__ import annotations

import re

from app.accounts import logos

AA_CONTRAST = 4.5
WHITE = "#ffffff"
DEFAULT_PRIMARY = "#635dff"  # Latchkey's own button colour (see themes/*/theme.toml)
NEAR_BLACK = "#111111"
PAGE_TEXT_DARK = "#1f2328"

_HEX = re.compile(r"^#(?:[0-9a-f]{3}|[0-9a-f]{6})$")


class InvalidColor(ValueError):
    """Not a colour this server accepts; the message says what is."""


def parse_color(value: str | None) -> str:
    """A "#rgb" or "#rrggbb" colour as canonical lower-case "#rrggbb"; raises InvalidColor."""
    text = (value or "").strip().lower()
    if not _HEX.match(text):
        raise InvalidColor(
            f"A colour must be written #rrggbb or #rgb (like #635dff), not {value!r}."
        )
    if len(text) == 4:
        text = "#" + "".join(ch * 2 for ch in text[1:])
    return text


def safe_color(value: str | None) -> str | None:
    """Like parse_color, but None for anything invalid (for values read back from storage)."""
    try:
        return parse_color(value)
    except InvalidColor:
        return None


def luminance(color: str) -> float:
    """WCAG relative luminance of a "#rrggbb" colour (0 black … 1 white)."""

    def channel(hex2: str) -> float:
        c = int(hex2, 16) / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(color[i : i + 2]) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(first: str, second: str) -> float:
    """WCAG contrast ratio of two "#rrggbb" colours (1 … 21)."""
    a, b = sorted((luminance(first), luminance(second)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def text_on(color: str) -> str:
    """White or near-black, whichever reads better on `color`."""
    return WHITE if contrast(color, WHITE) >= contrast(color, NEAR_BLACK) else NEAR_BLACK


def readable_on(color: str, background: str = WHITE, ratio: float = AA_CONTRAST) -> str:
    """`color`, darkened (or lightened on a dark background) until it reaches `ratio`.

    Keeps the hue of a brand colour used as link text instead of swapping it for black.
    """
    if contrast(color, background) >= ratio:
        return color
    target = "#000000" if luminance(background) > 0.18 else WHITE
    for step in range(1, 21):
        mixed = _mix(color, target, step / 20)
        if contrast(mixed, background) >= ratio:
            return mixed
    return target


def _mix(color: str, other: str, amount: float) -> str:
    parts = []
    for i in (1, 3, 5):
        a, b = int(color[i : i + 2], 16), int(other[i : i + 2], 16)
        parts.append(round(a + (b - a) * amount))
    return "#" + "".join(f"{p:02x}" for p in parts)


def brand_properties(primary: str | None, background: str | None) -> dict[str, str]:
    """CSS custom properties for a client's colours (invalid values are left out).

    --lk-primary and --lk-primary-text for buttons, --lk-link for links on the
    white card, --lk-bg and --lk-page-text for the page around the card.
    """
    properties: dict[str, str] = {}
    primary, background = safe_color(primary), safe_color(background)
    if primary:
        properties["--lk-primary"] = primary
        properties["--lk-primary-text"] = text_on(primary)
        properties["--lk-link"] = readable_on(primary, WHITE)
    if background:
        properties["--lk-bg"] = background
        dark_wins = contrast(background, PAGE_TEXT_DARK) >= contrast(background, WHITE)
        properties["--lk-page-text"] = PAGE_TEXT_DARK if dark_wins else WHITE
    return properties


def brand_style(primary: str | None, background: str | None) -> str:
    """The body of a `:root{…}` rule for the client's colours ("" when none)."""
    properties = brand_properties(primary, background)
    return ";".join(f"{name}:{value}" for name, value in properties.items())


def email_application(client) -> dict[str, object]:
    """`application` for message templates: name, clientID, logo_url, and the brand colour
    with a readable text colour on it (Latchkey's default when the app has none)."""
    primary = safe_color(getattr(client, "primary_color", None)) or DEFAULT_PRIMARY
    return {
        "name": getattr(client, "name", None) or "Latchkey",
        "clientID": getattr(client, "client_id", None),
        "logo_url": logos.public_url(client),  # kept by Latchkey, never the app's host
        "primary_color": primary,
        "primary_text_color": text_on(primary),
    }
