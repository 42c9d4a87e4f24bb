"""A relying app's own origin that embeds Auth0's Lock passwordless widget, for the
browser tests: a real HTTP server on another loopback port whose page loads the Lock
bundle from Latchkey's static files and points Lock at Latchkey, as an app's page
would after moving from Auth0 (docs/migrating-from-auth0.md, "Embedded Lock").

`AppOrigin.page_settings` holds what the next page load hands Lock (client_id,
connection, code or link, and the authorize parameters); `/callback` is where Lock's
sign-in lands, with `code` and `state` in the query."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Shop</title></head>
<body>
<h1>Shop</h1>
<div id="lock"></div>
<script src="{issuer}/static/vendor/auth0-lock.min.js"></script>
<script>
  var settings = {settings};
  var lock = new Auth0LockPasswordless(settings.clientID, settings.issuer, {{
    container: 'lock',
    allowedConnections: [settings.connection],
    passwordlessMethod: settings.send,
    configurationBaseUrl: settings.issuer,
    languageBaseUrl: settings.issuer + '/static/vendor',
    auth: {{
      redirectUrl: settings.origin + '/callback', responseType: 'code', params: settings.params
    }},
    theme: {{ logo: settings.issuer + '/static/favicon.svg' }},
    languageDictionary: {{ title: 'Shop' }},
    rememberLastLogin: false,
    avatar: null
  }});
  lock.show();
</script>
</body>
</html>
"""
CALLBACK = "<!doctype html><title>Shop</title><h1>Back in the shop</h1>"


class AppOrigin:
    """A loopback HTTP server standing for the app's origin (a context manager)."""

    def __init__(self) -> None:
        self.page_settings: dict = {}
        origin = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                if self.path == "/" or self.path.startswith("/?"):
                    settings = {**origin.page_settings, "origin": origin.url}
                    body = PAGE.format(
                        issuer=settings["issuer"],
                        settings=json.dumps(settings).replace("<", "\\u003c"),
                    )
                elif self.path.startswith("/callback"):
                    body = CALLBACK
                else:
                    self.send_error(404)
                    return
                data = body.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def __enter__(self) -> AppOrigin:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.server.shutdown()
        self.server.server_close()
