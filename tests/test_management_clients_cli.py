"""`flask clients create --type m2m --scopes …`: a management client from the CLI,
whose secret gets a Management API token and nothing else."""

from __future__ import annotations

import json

from management import bearer, token_for


def create(runner, *args: str):
    return runner.invoke(args=["clients", "create", *args])


def test_an_m2m_client_needs_no_callback_and_gets_its_scopes(runner, client):
    result = create(
        runner, "--name", "Ops Bot", "--type", "m2m", "--scopes", "read:users read:logs", "--json"
    )
    assert result.exit_code == 0, result.output
    made = json.loads(result.stdout)
    assert made["type"] == "m2m" and made["confidential"] is True
    assert made["scopes"] == ["read:users", "read:logs"] and made["callbacks"] == []
    token = token_for(client, made["client_id"], made["client_secret"])
    assert client.get("/api/v2/users", headers=bearer(token)).status_code == 200
    assert client.get("/api/v2/clients", headers=bearer(token)).status_code == 403


def test_the_plain_listing_shows_scopes_and_a_secret_once(runner):
    result = create(runner, "--name", "Ops Bot", "--type", "m2m", "--scopes", "read:clients")
    assert result.exit_code == 0, result.output
    assert "scopes:       read:clients" in result.output
    assert "client_secret:" in result.output


def test_unknown_scopes_and_scopes_on_an_app_are_refused(runner):
    unknown = create(runner, "--name", "Bot", "--type", "m2m", "--scopes", "read:everything")
    assert unknown.exit_code == 1 and "Unknown scope 'read:everything'" in unknown.output
    on_app = create(
        runner, "--name", "Shop", "--callback", "https://shop.example/cb", "--scopes", "read:users"
    )
    assert on_app.exit_code == 1 and "Only a management (m2m) client" in on_app.output
    no_callback = create(runner, "--name", "Shop")
    assert no_callback.exit_code == 2 and "Missing option '--callback'" in no_callback.output


def test_a_rotated_secret_gets_tokens_and_the_old_one_does_not(runner, client):
    made = json.loads(
        create(runner, "--name", "Bot", "--type", "m2m", "--scopes", "read:logs", "--json").stdout
    )
    rotated = runner.invoke(
        args=["clients", "update", made["client_id"], "--rotate-secret", "--json"]
    )
    assert rotated.exit_code == 0, rotated.output
    new_secret = json.loads(rotated.stdout)["client_secret"]
    assert token_for(client, made["client_id"], new_secret)
    old = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "audience": "https://latchkey.test/api/v2/"},
        auth=(made["client_id"], made["client_secret"]),
    )
    assert old.status_code == 401


def test_scopes_taken_away_end_what_issued_tokens_may_do(runner, client):
    made = json.loads(
        create(runner, "--name", "Bot", "--type", "m2m", "--scopes", "read:users", "--json").stdout
    )
    token = token_for(client, made["client_id"], made["client_secret"])
    assert client.get("/api/v2/users", headers=bearer(token)).status_code == 200
    changed = runner.invoke(
        args=["clients", "update", made["client_id"], "--scopes", "read:logs", "--json"]
    )
    assert changed.exit_code == 0, changed.output
    assert json.loads(changed.stdout)["scopes"] == ["read:logs"]
    assert client.get("/api/v2/users", headers=bearer(token)).status_code == 403
    cleared = runner.invoke(args=["clients", "update", made["client_id"], "--scopes", ""])
    assert cleared.exit_code == 0, cleared.output
    assert "scopes:       -" in cleared.output


def test_an_app_gets_no_scopes(runner):
    shop = json.loads(
        create(runner, "--name", "Shop", "--callback", "https://shop.example/cb", "--json").stdout
    )
    refused = runner.invoke(args=["clients", "update", shop["client_id"], "--scopes", "read:users"])
    assert refused.exit_code == 1 and "Only a management (m2m) client" in refused.output
