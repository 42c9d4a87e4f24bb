"""An app's own web origin on loopback (HTTPS, the tests' self-signed certificate):
serves the pages of tests/auth0js_app/ and auth0-js's dist build from node_modules,
as an app that embeds auth0.js would. `.url` is its origin."""

from __future__ import annotations

import ssl
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGES = ROOT / "tests" / "auth0js_app"
AUTH0_JS = ROOT / "node_modules" / "auth0-js" / "dist" / "auth0.min.js"


class AppOrigin:
    def __init__(self, certificate: str, key: str) -> None:
        self.certificate, self.key = certificate, key
        self.requests: list[str] = []

    def __enter__(self) -> AppOrigin:
        owner = self

        class Handler(SimpleHTTPRequestHandler):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, directory=str(PAGES), **kwargs)

            def do_GET(self):  # noqa: N802
                owner.requests.append(self.path)
                path = self.path.split("?", 1)[0]
                if path == "/auth0.min.js":
                    self._send(AUTH0_JS.read_bytes(), "text/javascript")
                elif path == "/callback":
                    self._send((PAGES / "callback.html").read_bytes(), "text/html")
                else:
                    super().do_GET()

            def _send(self, body: bytes, content_type: str) -> None:
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format, *args):  # noqa: A002
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.certificate, self.key)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.url = f"https://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
