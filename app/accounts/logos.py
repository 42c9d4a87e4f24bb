"""An app's logo, served by Latchkey itself.

Pages and emails never load the logo from the app's own host (which would learn
when and where each link is opened): when an operator sets `--logo-url`, the image
is fetched once, checked (size cap, a PNG, JPEG, GIF or WebP image whose bytes match
its content type; SVG is refused, as it can carry scripts), and kept in the
database under its SHA-256. Pages and emails then load `/logos/<sha256>` from
Latchkey. When the fetch fails, the app has no logo until it is set again.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask import current_app

from app.accounts import events
from app.config import base_url
from app.extensions import db
from app.models import Client, Logo

if TYPE_CHECKING:
    import requests

MAX_BYTES = 256 * 1024
TIMEOUT = (5, 10)  # connect, read (seconds)
LOGO_PATH = "/logos/"
SIGNATURES = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "image/webp": (b"RIFF",),  # then 4 bytes of size and "WEBP", checked below
}


class LogoRefused(ValueError):
    """The logo could not be fetched or is not an image we serve; says why."""


@dataclass(frozen=True)
class Image:
    content_type: str
    body: bytes


def cache(client: Client) -> str | None:
    """Fetch and keep the client's logo; None when done (or no logo is set), else why
    the app now has no logo. Commits."""
    client.logo_sha256 = None
    problem = None
    if client.logo_url:
        try:
            image = fetch(client.logo_url)
        except LogoRefused as refused:
            problem = str(refused)
        else:
            client.logo_sha256 = _store(image)
    if problem:
        events.record("admin.logo_refused", client_id=client.client_id, reason=problem)
    elif client.logo_sha256:
        events.record("admin.logo_cached", client_id=client.client_id)
    db.session.commit()
    return problem


def fetch(url: str) -> Image:
    """GET the image (no redirects), at most MAX_BYTES; raise LogoRefused."""
    import requests  # here: ~6 MB a web worker needs only when an operator sets a logo

    try:
        with requests.get(
            url,
            stream=True,
            timeout=TIMEOUT,
            allow_redirects=False,
            headers={"Accept": ", ".join(SIGNATURES)},
        ) as response:
            if response.status_code != 200:
                raise LogoRefused(f"the logo URL answered HTTP {response.status_code}")
            content_type = _content_type(response.headers.get("Content-Type", ""))
            body = _read_capped(response)
    except requests.RequestException as error:
        raise LogoRefused(f"the logo could not be fetched ({type(error).__name__})") from None
    _check_image(content_type, body)
    return Image(content_type, body)


def find(sha256: str) -> Logo | None:
    """A kept logo by its hash (64 lower-case hex digits), if any."""
    if len(sha256) != 64 or any(ch not in "0123456789abcdef" for ch in sha256):
        return None
    return db.session.get(Logo, sha256)


def public_url(client: object) -> str | None:
    """The absolute URL of the client's kept logo (for emails), or None."""
    path = public_path(client)
    return base_url(current_app.config) + path if path else None


def public_path(client: object) -> str | None:
    """The path of the client's kept logo on Latchkey (for pages), or None."""
    digest = getattr(client, "logo_sha256", None)
    return LOGO_PATH + digest if digest else None


def _content_type(header: str) -> str:
    content_type = header.split(";", 1)[0].strip().lower()
    if content_type == "image/svg+xml":
        raise LogoRefused("SVG logos are refused (they can carry scripts); use PNG, JPEG or WebP")
    if content_type not in SIGNATURES:
        shown = "".join(ch for ch in content_type[:60] if ch.isprintable()) or "none"
        raise LogoRefused(
            f"the logo's content type is {shown}; use image/png, image/jpeg, image/gif "
            "or image/webp"
        )
    return content_type


def _read_capped(response: requests.Response) -> bytes:
    body = bytearray()
    for chunk in response.iter_content(chunk_size=16384):
        body += chunk
        if len(body) > MAX_BYTES:
            raise LogoRefused(f"the logo is larger than {MAX_BYTES // 1024} KiB")
    return bytes(body)


def _check_image(content_type: str, body: bytes) -> None:
    """The bytes must be what the content type says (nosniff alone is not enough for
    mail clients)."""
    matches = any(body.startswith(magic) for magic in SIGNATURES[content_type])
    if content_type == "image/webp":
        matches = matches and body[8:12] == b"WEBP"
    if not matches:
        raise LogoRefused(f"the logo's bytes are not a {content_type} image")


def _store(image: Image) -> str:
    digest = hashlib.sha256(image.body).hexdigest()
    if db.session.get(Logo, digest) is None:
        db.session.add(Logo(sha256=digest, content_type=image.content_type, body=image.body))
        db.session.flush()
    return digest
