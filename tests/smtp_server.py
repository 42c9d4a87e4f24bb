"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, for tests.

    with SmtpSink() as sink:
        app = create_app({..., **sink.mail_config()})
        ...
        [message] = sink.messages          # email.message.EmailMessage

Use it from a fixture:

    @pytest.fixture
    def smtp_server():
        with SmtpSink() as sink:
            yield sink
"""

from __future__ import annotations

import asyncio
import email
import socket
from email.message import EmailMessage
from email.policy import default as default_policy

from aiosmtpd.controller import Controller

HOST = "127.0.0.1"


def free_port() -> int:
    """A TCP port nobody listens on (bound once by the OS, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class _RecordingHandler:
    def __init__(self) -> None:
        self.envelopes: list = []
        self.refused: dict[str, str] = {}
        self.peers: list[tuple] = []  # the client (host, port) of each message: its connection

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        status = self.refused.get(address.lower())
        if status:
            return status
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.envelopes.append(envelope)
        self.peers.append(tuple(session.peer))
        return "250 Message accepted for delivery"


class _ClosingController(Controller):
    """aiosmtpd's Controller, which on stop first closes the connections still open.

    Its own stop cancels the tasks, closes the server and then the loop. A connection
    whose close had not run by then (one held mid-RCPT, or one just accepted: Python
    3.11's Server.close() while an accept is under way fails that connection's transport
    and leaves its socket behind) keeps its socket until the garbage collector finds it,
    and the ResourceWarning lands on whichever test runs then. So: stop accepting (the
    listening sockets leave the loop's selector; the server stays open), let the accepts
    under way finish, close every connection, let their sockets close, then stop."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.sessions: list = []

    def factory(self):
        session = super().factory()
        self.sessions.append(session)
        return session

    async def _close_sessions(self) -> None:
        for listening in self.server.sockets:
            self.loop.remove_reader(listening.fileno())
        # Steps of the loop, not time (a test may have frozen the clock): an accept under
        # way gets its transport a step or two later; a socket closes a step after abort().
        for _ in range(8):
            await asyncio.sleep(0)
            for session in self.sessions:
                if session.transport is not None and not session.transport.is_closing():
                    session.transport.abort()
        await asyncio.sleep(0)

    def stop(self, no_assert: bool = False) -> None:
        if self._thread is not None and self.loop.is_running():
            asyncio.run_coroutine_threadsafe(self._close_sessions(), self.loop).result(5)
        super().stop(no_assert)
        self.sessions.clear()


class SmtpSink:
    """Starts an aiosmtpd server on a free loopback port (or the one given, to stand in
    for a server that went down and came back); records every envelope."""

    def __init__(self, port: int | None = None) -> None:
        self.handler = _RecordingHandler()
        self.port = port or free_port()
        self.controller = _ClosingController(self.handler, hostname=HOST, port=self.port)

    def __enter__(self) -> SmtpSink:
        self.controller.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.controller.stop()

    def mail_config(self) -> dict[str, object]:
        """App config that sends through this server (Flask-Mail suppresses mail when
        TESTING unless MAIL_SUPPRESS_SEND is False)."""
        return {
            "EMAIL_PROVIDER": "smtp",
            "MAIL_SERVER": HOST,
            "MAIL_PORT": self.port,
            "MAIL_SUPPRESS_SEND": False,
            "MAIL_TIMEOUT": 5,
        }

    def refuse(self, address: str, status: str = "550 5.1.1 No such user") -> None:
        """Answer RCPT TO for this address with an error status."""
        self.handler.refused[address.lower()] = status

    @property
    def connections(self) -> int:
        """How many SMTP connections delivered the messages received so far."""
        return len(set(self.handler.peers))

    @property
    def envelopes(self) -> list:
        return list(self.handler.envelopes)

    @property
    def messages(self) -> list[EmailMessage]:
        """Received messages, parsed."""
        return [
            email.message_from_bytes(envelope.original_content, policy=default_policy)
            for envelope in self.handler.envelopes
        ]
