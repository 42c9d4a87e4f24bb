"""A replayed authorization code, over the wire: exactly one exchange wins, and a replay
revokes what the winner issued, even when it lands while the winner is still saving (it
waits for the winner's transaction)."""

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


def test_a_replay_landing_while_the_winner_saves_waits_and_revokes_its_token(
    server, shop, monkeypatch
):
    """The first exchange has claimed the code and is building its tokens when the
    replay arrives: the claim holds the code's row (on SQLite, the database) until the
    winner's tokens are committed, so the replay waits for them, then revokes them."""
    code = fresh_code(server, shop, "mid@example.com", nonce="mid-save")
    claimed, release = threading.Event(), threading.Event()
    authenticate_user = AuthorizationCodeGrant.authenticate_user

    def held_after_claim(grant, authorization_code):
        user = authenticate_user(grant, authorization_code)
        if not claimed.is_set():
            claimed.set()
            assert release.wait(timeout=30)
        return user

    monkeypatch.setattr(AuthorizationCodeGrant, "authenticate_user", held_after_claim)
    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(exchange, server, shop, code)
        assert claimed.wait(timeout=30)
        replay = pool.submit(exchange, server, shop, code)
        with pytest.raises(TimeoutError):
            replay.result(timeout=1.0)  # it waits for the winner's transaction
        release.set()
        winner = first.result(timeout=60)
        replayed = replay.result(timeout=60)

    assert replayed.status_code == 400 and replayed.json()["error"] == "invalid_grant"
    assert winner.status_code == 200, winner.text
    assert userinfo_status(server, winner.json()["access_token"]) == 401
