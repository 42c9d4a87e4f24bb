"""A replayed authorization code, over the wire: exactly one exchange wins, and a replay
revokes what the winner issued, even when it lands while the winner is still saving."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from helpers import RelyingApp, signed_in_code

from app.oidc.grants import AuthorizationCodeGrant

PARALLEL = 4
TRIALS = 5


@pytest.fixture
def server(live_server):
    return live_server()


@pytest.fixture
def shop(server) -> RelyingApp:
    return RelyingApp.register(server.app, callbacks=("https://app.example/cb",))


def fresh_code(server, shop: RelyingApp, email: str, nonce: str) -> str:
    """Sign in through the hosted page (a browser on the same app and database)."""
    return signed_in_code(server.app.test_client(), shop, email, nonce=nonce)


def exchange(server, shop: RelyingApp, code: str) -> requests.Response:
    return requests.post(
        server.url + "/oauth/token",
        data=shop.code_body(code),
        auth=(shop.client_id, shop.secret),
        timeout=30,
    )


def userinfo_status(server, access_token: str) -> int:
    headers = {"Authorization": f"Bearer {access_token}"}
    return requests.get(server.url + "/userinfo", headers=headers, timeout=30).status_code


def test_parallel_exchanges_of_one_code_leave_no_working_token(server, shop):
    for trial in range(TRIALS):
        code = fresh_code(server, shop, f"p{trial}@example.com", nonce=f"parallel-{trial}")
        start = threading.Barrier(PARALLEL)

        def race(_: int, code: str = code, start: threading.Barrier = start):
            start.wait(timeout=30)
            return exchange(server, shop, code)

        with ThreadPoolExecutor(PARALLEL) as pool:
            answers = list(pool.map(race, range(PARALLEL)))

        winners = [a for a in answers if a.status_code == 200]
        assert len(winners) == 1, [a.status_code for a in answers]
        assert all(a.json()["error"] == "invalid_grant" for a in answers if a not in winners)
        assert userinfo_status(server, winners[0].json()["access_token"]) == 401, trial


def test_a_replay_landing_while_the_winner_saves_revokes_its_token(server, shop, monkeypatch):
    """The first exchange has claimed the code and is building its tokens when the
    replay arrives and is answered; the token it then saves must not work."""
    code = fresh_code(server, shop, "mid@example.com", nonce="mid-save")
    claimed, replay_answered = threading.Event(), threading.Event()
    authenticate_user = AuthorizationCodeGrant.authenticate_user

    def held_after_claim(grant, authorization_code):
        user = authenticate_user(grant, authorization_code)
        if not claimed.is_set():
            claimed.set()
            assert replay_answered.wait(timeout=30)
        return user

    monkeypatch.setattr(AuthorizationCodeGrant, "authenticate_user", held_after_claim)
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(exchange, server, shop, code)
        assert claimed.wait(timeout=30)
        replay = exchange(server, shop, code)
        replay_answered.set()
        winner = first.result(timeout=60)

    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    assert winner.status_code == 200, winner.text
    assert userinfo_status(server, winner.json()["access_token"]) == 401
