"""Every lookup goes through an index, so its cost does not grow with the table.

On a PostgreSQL database migrated to head (the indexes are the migrations', not
create_all's) and filled with 20,000 rows per table, the planner's choice for each
query path the app runs is an index scan, never a sequential scan of the table.
"""

from __future__ import annotations

from datetime import datetime

import databases
import psycopg
import pytest
from processes import migrated_database
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.dialects import postgresql

from app.delivery import claims
from app.models import (
    AccessToken,
    AuthorizationCode,
    BrowserSession,
    Event,
    Identity,
    LoginTicket,
    OutboxMessage,
)

ROWS = 20_000
NOW = datetime(2030, 1, 1, 12, 0, 0)

FILL = f"""
INSERT INTO users (sub, blocked, failed_logins, created_at)
  SELECT 'sub' || n, false, 0, now() FROM generate_series(1, {ROWS}) AS n;
INSERT INTO identities (user_id, connection, value, verified, created_at)
  SELECT n, 'email', 'person' || n || '@example.com', true, now()
  FROM generate_series(1, {ROWS}) AS n;
INSERT INTO login_tickets (id, connection, recipient, authorize_params, code_hash,
    binding_hash, created_at, expires_at, failed_attempts, max_attempts, deliver,
    link_nonce_hash, country, user_id)
  SELECT 't' || n, CASE WHEN n % 2 = 0 THEN 'email' ELSE 'sms' END,
    'person' || n || '@example.com', '{{}}', md5(n::text), md5(n::text),
    now() - (n || ' minutes')::interval, now() - (n || ' minutes')::interval, 0, 3, true,
    md5('nonce' || n), 'US', n
  FROM generate_series(1, {ROWS}) AS n;
INSERT INTO outbox_messages (channel, recipient, subject, body_text, ticket_id, status,
    tries, next_try_at, created_at)
  SELECT 'email', 'person' || n || '@example.com', '', '', 't' || n, 'sent', 1,
    now() - (n || ' minutes')::interval, now() - (n || ' minutes')::interval
  FROM generate_series(1, {ROWS}) AS n;
INSERT INTO events (type, created_at, user_id, detail)
  SELECT 'login.success', now() - (n || ' minutes')::interval, n % 2000 + 1, '{{}}'
  FROM generate_series(1, {ROWS}) AS n;
INSERT INTO browser_sessions (cookie_hash, user_id, connection, recipient, auth_time, amr,
    created_at, last_seen_at)
  SELECT md5('cookie' || n), n, 'email', 'x', now(), '[]', now(), now()
  FROM generate_series(1, {ROWS}) AS n;
INSERT INTO authorization_codes (code_hash, client_id, user_id, redirect_uri, scope, nonce,
    auth_time, amr, created_at, expires_at)
  SELECT md5('code' || n), 'client' || n % 50, n, 'https://app.example/cb', 'openid',
    'nonce' || n, 0, '[]', now(), now() - (n || ' minutes')::interval
  FROM generate_series(1, {ROWS}) AS n;
INSERT INTO access_tokens (token_hash, client_id, user_id, scope, issued_at, expires_at)
  SELECT md5('token' || n), 'client' || n % 50, n, 'openid', now(), now()
  FROM generate_series(1, {ROWS}) AS n;
ANALYZE;
"""

QUERIES = {
    "due messages": claims._due_query(NOW, claims.CANDIDATES),
    "identity by value": select(Identity).where(Identity.value == "person77@example.com"),
    "identity by connection and value": select(Identity).where(
        Identity.connection == "email", Identity.value == "person77@example.com"
    ),
    "ticket by id": select(LoginTicket).where(LoginTicket.id == "t77"),
    "tickets by recipient": select(LoginTicket).where(
        LoginTicket.recipient == "person77@example.com"
    ),
    "expired tickets": select(LoginTicket.id).where(
        LoginTicket.expires_at < NOW.replace(year=2000)
    ),
    "a user's tickets": select(LoginTicket.id).where(LoginTicket.user_id == 77),
    "a ticket's messages": select(OutboxMessage).where(OutboxMessage.ticket_id == "t77"),
    "SMS sent today": select(func.count(OutboxMessage.id)).where(
        OutboxMessage.channel == "sms", OutboxMessage.created_at >= NOW
    ),
    "events by user and time": select(Event).where(
        Event.user_id == 77, Event.created_at >= NOW.replace(year=2020)
    ),
    "events by type and time": select(func.count(Event.id)).where(
        Event.type == "sms.budget_exhausted", Event.created_at >= NOW
    ),
    "session by cookie": select(BrowserSession).where(BrowserSession.cookie_hash == "abc"),
    "a user's sessions": select(BrowserSession).where(BrowserSession.user_id == 77),
    "code by hash": select(AuthorizationCode).where(AuthorizationCode.code_hash == "abc"),
    "code by client and nonce": select(AuthorizationCode.id).where(
        AuthorizationCode.client_id == "client7", AuthorizationCode.nonce == "nonce77"
    ),
    "token by hash": select(AccessToken).where(AccessToken.token_hash == "abc"),
    "a user's tokens": select(AccessToken.id).where(AccessToken.user_id == 77),
}


@pytest.fixture(scope="module")
def filled_database():
    name, url = migrated_database()
    with psycopg.connect(url.replace("+psycopg", "")) as connection:
        connection.execute(FILL)
    engine = create_engine(url)
    yield engine
    engine.dispose()
    databases.drop_database(name)


@pytest.mark.parametrize("query", sorted(QUERIES))
def test_each_lookup_uses_an_index(filled_database, query):
    statement = QUERIES[query].compile(
        dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}
    )
    with filled_database.connect() as connection:
        plan = "\n".join(row[0] for row in connection.execute(text(f"EXPLAIN {statement}")))

    assert "Seq Scan" not in plan, plan
    assert "Index" in plan, plan
