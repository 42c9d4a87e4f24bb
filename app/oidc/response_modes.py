"""How an authorization response reaches the app (OAuth 2.0 Multiple Response Types §2.1).

- `query` (the default): a redirect to the callback with the parameters in its query.
- `form_post` (OAuth 2.0 Form Post Response Mode): a page whose form posts the
  parameters to the callback.
- `web_message` (Auth0's, used by auth0-spa-js): a page that hands the parameters to
  the window that opened /authorize (a hidden iframe's parent, a popup's opener) with
  `postMessage({type: "authorization_response", response: {…}}, origin)`. The message
  goes only to the callback's origin, and only when the app registered that origin as
  one of its web origins; the page may be framed by that origin alone.

Authlib builds the redirect as usual (code or error, state, iss); `as_page` turns it
into the page the chosen mode asks for, through the renderer the web layer registers.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from authlib.oauth2.rfc6749 import InvalidRequestError
from flask import Response, current_app

PAGE_MODES = ("form_post", "web_message")
RENDERER_KEY = "latchkey.response_mode_page"
# A host name or IP address, nothing a header or a CSP source list could misread.
HOST = re.compile(r"[a-z0-9.-]{1,253}|[0-9a-f:.]{2,45}")


@dataclass(frozen=True)
class Delivery:
    """How one authorize request wants its answer: a page mode, the verified callback,
    and (web_message) the origin the message may go to, None when not registered."""

    mode: str
    redirect_uri: str
    target_origin: str | None
    client: Any  # the Client row, for the page's name and branding


@dataclass(frozen=True)
class PageAnswer:
    """An authorization response (success or error) to show as a page."""

    mode: str
    redirect_uri: str
    params: list[tuple[str, str]]
    target_origin: str | None
    client: Any

    @property
    def message(self) -> dict[str, Any]:
        """What web_message posts: the shape auth0-spa-js's runIframe and runPopup read."""
        return {"type": "authorization_response", "response": dict(self.params)}


def origin_of(uri: str | None) -> str | None:
    """`scheme://host[:port]` of an http(s) URL, lower-case, or None."""
    try:
        parts = urlsplit(uri or "")
        port = parts.port
    except ValueError:
        return None
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not HOST.fullmatch(host):
        return None
    host = f"[{host}]" if ":" in host else host
    default = {"http": 80, "https": 443}[parts.scheme]
    suffix = f":{port}" if port is not None and port != default else ""
    return f"{parts.scheme}://{host}{suffix}"


def web_origin_registered(client, redirect_uri: str | None) -> bool:
    """Whether a callback's origin is among the client's registered web origins."""
    origin = origin_of(redirect_uri)
    return origin is not None and origin in (client.row.web_origins or [])


def check_web_message(client, data: dict, redirect_uri: str) -> None:
    """web_message only to a registered web origin: otherwise a page here, not an answer
    (no code is made, and nothing is sent to a site the app never named)."""
    if data.get("response_mode") == "web_message" and not web_origin_registered(
        client, redirect_uri
    ):
        raise InvalidRequestError(
            "response_mode 'web_message' needs the callback's origin among the app's "
            "registered web origins."
        )


def delivery_for(client, data: dict) -> Delivery | None:
    """The page mode an authorize request asked for (None: a plain redirect)."""
    mode = data.get("response_mode")
    redirect_uri = data.get("redirect_uri")
    if mode not in PAGE_MODES or client is None or not redirect_uri:
        return None
    target = None
    if mode == "web_message" and web_origin_registered(client, redirect_uri):
        target = origin_of(redirect_uri)
    return Delivery(mode=mode, redirect_uri=redirect_uri, target_origin=target, client=client.row)


def response_params(location: str, redirect_uri: str) -> list[tuple[str, str]]:
    """The parameters Authlib added to the callback (the callback's own query first)."""
    own = parse_qsl(urlsplit(redirect_uri).query, keep_blank_values=True)
    return parse_qsl(urlsplit(location).query, keep_blank_values=True)[len(own) :]


def as_page(response: Response, delivery: Delivery | None) -> Response:
    """A redirect to the callback, delivered as the request's page mode asks."""
    if delivery is None or response.status_code != 302 or not response.location:
        return response
    answer = PageAnswer(
        mode=delivery.mode,
        redirect_uri=delivery.redirect_uri,
        params=response_params(response.location, delivery.redirect_uri),
        target_origin=delivery.target_origin,
        client=delivery.client,
    )
    render: Callable[[PageAnswer], Response] = current_app.extensions[RENDERER_KEY]
    return render(answer)


def set_renderer(app, render: Callable[[PageAnswer], Response]) -> None:
    """The web layer's page for a PageAnswer (this package renders no templates)."""
    app.extensions[RENDERER_KEY] = render
