"""A local SMTP server (aiosmtpd) for the load benchmark: it writes each message's
code to <maildir>/<recipient> with the time it arrived, and can hold each reply
(`--delay 0.5`, as a relay over TLS does), so the benchmark measures delivery too.

    python bench/mail_sink.py --port 2525 --maildir /tmp/mail [--delay 0.5]
"""

from __future__ import annotations

import argparse
import asyncio
import email
import json
import os
import re
import time
from email.policy import default as default_policy
from pathlib import Path

from aiosmtpd.controller import Controller

CODE = re.compile(r"\b(\d{4,12})\b")


class CodeWriter:
    """Keeps the code of every message, by recipient, in a file of its own."""

    def __init__(self, maildir: Path, delay: float) -> None:
        self.maildir, self.delay = maildir, delay

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        if self.delay:  # the relay takes its time; the message counts as delivered after
            await asyncio.sleep(self.delay)
        arrived = time.time()
        message = email.message_from_bytes(envelope.original_content, policy=default_policy)
        text = message.get_body(preferencelist=("plain",))
        found = CODE.search(str(message["Subject"])) or CODE.search(
            text.get_content() if text else ""
        )
        for recipient in envelope.rcpt_tos:
            path = self.maildir / recipient.lower()
            temporary = path.with_suffix(".tmp")
            temporary.write_text(json.dumps({"code": found and found[1], "arrived": arrived}))
            os.replace(temporary, path)
        return "250 Message accepted for delivery"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--maildir", type=Path, required=True)
    parser.add_argument("--delay", type=float, default=0.0, help="seconds before each reply")
    args = parser.parse_args()
    args.maildir.mkdir(parents=True, exist_ok=True)
    controller = Controller(
        CodeWriter(args.maildir, args.delay), hostname="127.0.0.1", port=args.port
    )
    controller.start()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
