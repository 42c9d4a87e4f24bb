"""Auth0's own Python SDK (auth0-python) against the Management API of a live Latchkey
over HTTPS: GetToken.client_credentials, and ManagementClient's users, clients,
connections and logs, with the token the SDK fetches itself.

The SDK speaks https:// to `domain`: the live server serves a self-signed certificate
for 127.0.0.1, trusted through REQUESTS_CA_BUNDLE (requests) and SSL_CERT_FILE (httpx).
"""

from __future__ import annotations

import pytest
from auth0.authentication import GetToken
from auth0.authentication.exceptions import Auth0Error
from auth0.management import ManagementClient
from auth0.management.errors import ForbiddenError, NotFoundError
from management import add_user, management_client
from tls import https_live_server

from app.accounts.clients import create_client
from app.models import MANAGEMENT_SCOPES

EMAIL = "ada@example.com"
PHONE = "+14155552671"


@pytest.fixture
def server(live_server, tmp_path, monkeypatch):
    return https_live_server(live_server, tmp_path, monkeypatch)


def domain(server) -> str:
    return server.url.removeprefix("https://")


def sdk(server, scopes=MANAGEMENT_SCOPES) -> ManagementClient:
    client_id, secret = management_client(server.app, scopes=scopes)
    return ManagementClient(domain=domain(server), client_id=client_id, client_secret=secret)


def test_get_token_client_credentials(server):
    client_id, secret = management_client(server.app, scopes=["read:users", "read:logs"])
    token = GetToken(domain(server), client_id, client_secret=secret).client_credentials(
        audience=f"{server.url}/api/v2/"
    )
    assert token["token_type"] == "Bearer" and token["scope"] == "read:users read:logs"
    with pytest.raises(Auth0Error) as refused:
        GetToken(domain(server), client_id, client_secret=secret).client_credentials(
            audience="https://another.api/"
        )
    assert refused.value.status_code == 403 and refused.value.error_code == "access_denied"


def test_users_search_get_block_and_unblock(server):
    sub = add_user(server.app, email=EMAIL, phone=PHONE)
    add_user(server.app, email="bob@example.com")
    api = sdk(server)
    found = list(api.users.list(q=f'email:"{EMAIL}"', search_engine="v3"))
    assert [u.user_id for u in found] == [sub]
    assert found[0].email == EMAIL and found[0].phone_number == PHONE
    assert {i.provider for i in found[0].identities} == {"email", "sms"}
    everyone = list(api.users.list(per_page=1))  # the pager walks page after page
    assert [u.email for u in everyone] == [EMAIL, "bob@example.com"]
    assert [u.user_id for u in api.users.list_users_by_email(email=EMAIL)] == [sub]
    assert api.users.get(sub).email == EMAIL
    assert api.users.update(sub, blocked=True).blocked is True
    assert api.users.get(sub).blocked is True
    assert api.users.update(sub, blocked=False).blocked is False
    with pytest.raises(NotFoundError) as missing:
        api.users.get("nobody")
    assert missing.value.body["errorCode"] == "inexistent_user"


def test_clients_read_and_update(server):
    with server.app.app_context():
        shop, _ = create_client("Shop", ["https://shop.example/cb"])
        shop_id = shop.client_id
    api = sdk(server)
    listed = {c.client_id: c for c in api.clients.list()}
    assert listed[shop_id].name == "Shop" and listed[shop_id].app_type == "regular_web"
    changed = api.clients.update(
        shop_id,
        callbacks=["https://shop.example/cb2"],
        allowed_logout_urls=["https://shop.example/"],
    )
    assert changed.callbacks == ["https://shop.example/cb2"]
    assert api.clients.get(shop_id).allowed_logout_urls == ["https://shop.example/"]


def test_connections_read_and_update(server):
    api = sdk(server)
    names = [c.name for c in api.connections.list()]
    assert names == ["email", "sms"]
    sms = api.connections.get("con_sms")
    assert sms.strategy == "sms"
    changed = api.connections.update("con_sms", options={"totp": {"time_step": 120, "length": 8}})
    assert changed.options["totp"] == {"time_step": 120, "length": 8}


def test_logs_list_and_search(server):
    sub = add_user(server.app, email=EMAIL)
    api = sdk(server)
    api.users.update(sub, blocked=True)
    blocked = list(api.logs.list(search='type:"admin.user_blocked"'))
    assert len(blocked) == 1 and blocked[0].user_id == sub
    assert blocked[0].details["by"].startswith("m2m:")


def test_a_missing_scope_is_forbidden(server):
    api = sdk(server, scopes=["read:logs"])
    with pytest.raises(ForbiddenError) as refused:
        list(api.users.list())
    assert refused.value.body["errorCode"] == "insufficient_scope"


def test_link_unlink_and_delete(server):
    primary = add_user(server.app, email=EMAIL)
    secondary = add_user(server.app, phone=PHONE)
    api = sdk(server)
    linked = api.users.identities.link(primary, provider="sms", user_id=secondary)
    assert {i.provider for i in linked} == {"email", "sms"}
    sms = next(i for i in api.users.get(primary).identities if i.provider == "sms")
    left = api.users.identities.delete(primary, "sms", str(sms.user_id))
    assert [i.provider for i in left] == ["email"]
    api.users.delete(primary)
    with pytest.raises(NotFoundError):
        api.users.get(primary)
