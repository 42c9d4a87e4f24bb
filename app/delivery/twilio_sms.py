"""Twilio's SDK, imported only when a Twilio provider sends (app/delivery/sms.py).

The SDK with requests and urllib3 costs about 6 MB in each process that imports it;
a web worker of a deployment without Twilio never needs it.
"""

from __future__ import annotations

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client as TwilioClient

TWILIO_API = "https://api.twilio.com"

# What the SDK raises: a refusal with Twilio's error code, or no answer at all.
Refused = TwilioRestException
UNREACHABLE: tuple[type[Exception], ...] = (TwilioException, requests.RequestException)


class _LoopbackAwareHttpClient(TwilioHttpClient):
    """Twilio's HTTP client, sending to TWILIO_API_BASE_URL instead of api.twilio.com
    when that is set (a local Twilio-compatible server, a test double)."""

    def __init__(self, base_url: str, timeout: float) -> None:
        super().__init__(timeout=timeout)
        self.base_url = base_url.rstrip("/")

    def request(self, method, url, *args, **kwargs):
        if url.startswith(TWILIO_API):
            url = self.base_url + url[len(TWILIO_API) :]
        return super().request(method, url, *args, **kwargs)


def client(config, timeout: float) -> TwilioClient:
    """A Twilio REST client for the configured account and API base URL."""
    return TwilioClient(
        config["TWILIO_ACCOUNT_SID"],
        config["TWILIO_AUTH_TOKEN"],
        http_client=_LoopbackAwareHttpClient(config["TWILIO_API_BASE_URL"], timeout),
    )
