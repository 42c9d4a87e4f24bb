"""Real HTTP servers on loopback that play the SMS providers, for tests.

- `TwilioApi`: speaks Twilio's Messages API (`POST /2010-04-01/Accounts/<sid>/Messages.json`,
  Basic auth, form body, JSON answers); `fail_with(status, code)` makes it answer like
  Twilio does when it refuses a message.
- `SmsGateway`: a custom SMS gateway (Auth0's contract) that keeps each JSON body
  and its Bearer token; `answer_with(status)` and `delay` for failures and timeouts.

Both record what they receive in `.received`; `config()` gives the app settings.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

CODE_IN_SMS = re.compile(r"#(\d{4,12})\s*$")
ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "test-auth-token"


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: dict

    @property
    def code(self) -> str:
        """The code from the SMS text's origin-bound last line (`@host #123456`)."""
        text = self.body.get("body") or self.body.get("Body") or ""
        found = CODE_IN_SMS.search(text)
        assert found, f"no origin-bound code line in {text!r}"
        return found.group(1)


@dataclass
class _Server:
    received: list[Received] = field(default_factory=list)
    status: int = 200
    delay: float = 0.0
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def wait_for(self, count: int, timeout: float = 10.0) -> Received:
        """Block until `count` requests have arrived (a background sender); the newest."""
        with self.arrived:
            assert self.arrived.wait_for(lambda: len(self.received) >= count, timeout), (
                f"{len(self.received)} of {count} SMS arrived"
            )
            return self.received[-1]

    def record(self, received: Received) -> None:
        with self.arrived:
            self.received.append(received)
            self.arrived.notify_all()

    def __enter__(self):
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode()
                owner.handle(self, raw)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)

    def reply(self, handler, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test)


class SmsGateway(_Server):
    """Auth0-style custom SMS gateway."""

    def handle(self, handler, raw: str) -> None:
        self.record(Received(handler.path, dict(handler.headers), json.loads(raw)))
        if self.delay:
            time.sleep(self.delay)
        self.reply(handler, self.status, {"ok": 200 <= self.status < 300})

    def answer_with(self, status: int) -> None:
        self.status = status

    def config(self, **extra) -> dict:
        return {"SMS_PROVIDER": "gateway", "SMS_GATEWAY_URL": f"{self.url}/sms", **extra}


class TwilioApi(_Server):
    """Twilio's Messages API, as far as the twilio SDK's messages.create uses it."""

    error: tuple[int, int] | None = None

    def handle(self, handler, raw: str) -> None:
        form = {key: values[0] for key, values in parse_qs(raw).items()}
        self.record(Received(handler.path, dict(handler.headers), form))
        if self.delay:
            time.sleep(self.delay)
        expected = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
        if handler.headers.get("Authorization") != expected:
            self.reply(handler, 401, {"code": 20003, "message": "Authenticate", "status": 401})
            return
        if handler.path != f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json":
            self.reply(handler, 404, {"code": 20404, "message": "Not found", "status": 404})
            return
        if self.error:
            status, code = self.error
            self.reply(
                handler,
                status,
                {
                    "code": code,
                    "message": f"Twilio error {code}",
                    "more_info": f"https://www.twilio.com/docs/errors/{code}",
                    "status": status,
                },
            )
            return
        self.reply(
            handler,
            201,
            {
                "sid": "SM" + "1" * 32,
                "account_sid": ACCOUNT_SID,
                "to": form.get("To"),
                "from": form.get("From"),
                "messaging_service_sid": form.get("MessagingServiceSid"),
                "body": form.get("Body"),
                "status": "queued",
                "num_segments": "1",
                "direction": "outbound-api",
                "api_version": "2010-04-01",
                "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/SM{'1' * 32}.json",
            },
        )

    def fail_with(self, status: int, code: int) -> None:
        self.error = (status, code)

    def config(self, **extra) -> dict:
        return {
            "SMS_PROVIDER": "twilio",
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "SMS_FROM": "+15005550006",
            "TWILIO_API_BASE_URL": self.url,
            **extra,
        }
