"""What Auth0's Lock widget reads about an app before it draws: the client settings it
loads from `/client/<client_id>.js` (JSONP, `Auth0.setClient({...})`), in Auth0's shape.

Lock's passwordless mode shows only passwordless strategies, `email` and `sms`, each
with one connection of the same name: the app's enabled connections here.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit

from app.accounts.clients import find_client

CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
# JSON inside a script (ASCII only, so U+2028 is escaped too): nothing may end the script.
SCRIPT_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"}


def client_settings(client_id: str, issuer: str) -> dict[str, Any] | None:
    """Lock's settings of a registered app, or None for an unknown (or malformed) id."""
    client = find_client(client_id) if CLIENT_ID.match(client_id or "") else None
    if client is None:
        return None
    return {
        "id": client.client_id,
        "tenant": urlsplit(issuer).hostname or "latchkey",
        "authorize": f"{issuer}/authorize",
        "callback": (client.redirect_uris or [""])[0],
        "hasAllowedOrigins": bool(client.web_origins),
        "strategies": [
            {"name": name, "connections": [{"name": name, "display_name": name}]}
            for name in client.enabled_connections
        ],
    }


def jsonp(method: str, value: Any) -> str:
    """`Auth0.<method>(<value>);`, the JSON escaped so that it is safe in any script."""
    text = json.dumps(value, ensure_ascii=True, separators=(",", ":"))
    text = re.sub("[<>&]", lambda found: SCRIPT_ESCAPES[found.group(0)], text)
    return f"Auth0.{method}({text});\n"
