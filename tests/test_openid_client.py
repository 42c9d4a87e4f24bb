"""node's openid-client (npm, pinned in package.json) as the relying app, over real HTTP.

It discovers the live server, builds an authorization URL with PKCE, exchanges the
code, checks the ID token, refreshes (the refresh token must rotate, and the new ID
token keep the sign-in's auth_time and amr), then replays
the first refresh token, which must end the whole family, and calls the discovered
revocation endpoint (RFC 7009). A `requests` session
plays the person's browser in between (tests/test_oidc_client.Browser).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from helpers import query_of
from test_oidc_client import EMAIL, Browser, register

TESTS = Path(__file__).parent
SCRIPT = TESTS / "openid_client_flow.mjs"
PACKAGE = TESTS.parent / "node_modules" / "openid-client" / "package.json"


def node() -> str:
    """The node binary, with openid-client installed (`make node_modules/.installed`)."""
    found = shutil.which("node")
    missing = None if found else "node is not installed"
    if found and not PACKAGE.exists():
        missing = "openid-client is not installed (make node_modules/.installed)"
    if missing:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true requires the openid-client test: {missing}")
        pytest.skip(missing)
    return found


def run_script(step: str, **settings: str) -> dict:
    result = subprocess.run(
        [node(), str(SCRIPT), step],
        env={"PATH": os.environ.get("PATH", ""), **settings},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)


@pytest.fixture
def server(live_server):
    return live_server()


@pytest.mark.parametrize("client_type", ["native", "regular"])
def test_openid_client_signs_in_refreshes_and_a_replay_ends_the_family(server, client_type):
    sign_in_refresh_and_replay(server, client_type)


def test_openid_client_with_an_issuer_written_with_a_trailing_slash(live_server):
    """Auth0's issuers end in "/": openid-client discovers it (at the issuer without the
    slash + /.well-known/openid-configuration) and checks `iss` against it exactly."""
    server = live_server(issuer_path="/")
    assert server.issuer.endswith(":" + str(server.server.server_port) + "/")

    seen = sign_in_refresh_and_replay(server, "native")

    assert seen["iss"] == server.issuer
    assert seen["callback_iss"] == server.issuer


def sign_in_refresh_and_replay(server, client_type: str) -> dict:
    callback = "http://127.0.0.1:8765/cb" if client_type == "native" else "https://app.example/cb"
    client_id, secret = register(server, client_type, callback)
    settings = {
        "LATCHKEY_ISSUER": server.issuer,
        "CLIENT_ID": client_id,
        "CLIENT_SECRET": secret or "",
        "REDIRECT_URI": callback,
    }
    started = run_script("authorize", **settings)
    browser = Browser(server.url)
    try:
        callback_url = browser.sign_in(started["url"], EMAIL, server.app)
    finally:
        browser.close()

    seen = run_script(
        "finish",
        **settings,
        CALLBACK_URL=callback_url,
        PKCE_VERIFIER=started["verifier"],
        STATE=started["state"],
        NONCE=started["nonce"],
    )

    assert seen["email"] == EMAIL and seen["userinfo_email"] == EMAIL
    assert seen["nonce"] == started["nonce"]
    assert "offline_access" in seen["scope"].split()
    assert seen["has_refresh_token"] and seen["rotated"] and seen["new_access_token"]
    assert seen["refreshed_userinfo_sub"] == seen["sub"]
    again = seen["refreshed_id_token"]  # OIDC Core §12.2: the same sign-in, no nonce
    assert again["sub"] == seen["sub"] and again["iat"] >= seen["auth_time"]
    assert seen["amr"] == ["otp"] and isinstance(seen["auth_time"], int)
    assert (again["auth_time"], again["amr"]) == (seen["auth_time"], seen["amr"])
    assert not again["has_nonce"]
    assert seen["reuse"]["error"] == "invalid_grant"
    assert "already used" in seen["reuse"]["error_description"]
    assert seen["after_reuse"]["error"] == "invalid_grant"
    assert seen["userinfo_after_reuse"]["status"] == 401
    assert seen["userinfo_after_reuse"]["challenge"] == "invalid_token"
    assert seen["revocation"] == "accepted"
    assert query_of(callback_url)["iss"] == server.issuer
    return {**seen, "callback_iss": query_of(callback_url)["iss"]}
