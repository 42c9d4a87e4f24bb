"""A single-page app on its own loopback origin, built on the real auth0-spa-js (npm,
pinned in package.json), for tests/test_auth0_spa.py.

Every path but the library's own answers the same page (so `/callback` is the SPA
too). The page loads auth0-spa-js's browser build and defines `spaOptions(extra)`:
the Auth0Client options pointed at Latchkey (`domain` is its base URL; auth0-spa-js
then expects the issuer `<domain>/`, as Auth0's issuers are written). Tests drive the
library through Playwright (`new auth0.Auth0Client(spaOptions())`).

    with SpaServer() as spa:
        spa.settings.update(domain=latchkey.url, clientId=..., redirect_uri=spa.url + "/callback")
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

DIST = Path(__file__).resolve().parent.parent / "node_modules/@auth0/auth0-spa-js/dist"
LIBRARY = "auth0-spa-js.production.js"

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Planner (a single-page app)</title>
<script src="/{library}"></script>
<script>
const settings = {settings};
window.spaOptions = (extra) => Object.assign({{
  domain: settings.domain,
  clientId: settings.clientId,
  authorizationParams: {{ redirect_uri: settings.redirect_uri }},
}}, extra || {{}});
</script>
</head>
<body><h1>Planner</h1></body>
</html>
"""


class SpaServer:
    """The SPA's origin: http://127.0.0.1:<free port>."""

    def __init__(self) -> None:
        self.settings: dict[str, str] = {}
        spa = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                if self.path == f"/{LIBRARY}":
                    body, kind = (DIST / LIBRARY).read_bytes(), "text/javascript"
                else:
                    settings = json.dumps(spa.settings).replace("<", "\\u003c")
                    body = PAGE.format(library=LIBRARY, settings=settings).encode()
                    kind = "text/html; charset=utf-8"
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> SpaServer:
        if not (DIST / LIBRARY).exists():
            raise FileNotFoundError(f"{DIST / LIBRARY}: run `make node_modules/.installed`")
        self.thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
