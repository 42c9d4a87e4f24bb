"""Helpers for Management API tests: a management client and its tokens."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from app.accounts import users
from app.accounts.clients import create_client
from app.extensions import db
from app.models import MANAGEMENT_SCOPES, Identity

AUDIENCE = "https://latchkey.test/api/v2/"  # the tests' ISSUER + /api/v2/


def management_client(app: Flask, scopes=MANAGEMENT_SCOPES) -> tuple[str, str]:
    """A registered m2m client with these scopes: (client_id, client_secret)."""
    with app.app_context():
        client, secret = create_client("Ops Bot", [], client_type="m2m", scopes=scopes)
        return client.client_id, secret


def token_for(http: FlaskClient, client_id: str, secret: str, **more: str) -> str:
    answer = http.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": secret,
            "audience": http.application.config["ISSUER"].rstrip("/") + "/api/v2/",
            **more,
        },
    )
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()["access_token"]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def add_user(app: Flask, email: str | None = None, phone: str | None = None) -> str:
    """A user with a verified email address and/or phone number; returns its sub."""
    with app.app_context():
        connection, value = ("email", email) if email else ("sms", phone)
        user = users.create_with_identity(connection, value)
        if email and phone:
            user.identities.append(Identity(connection="sms", value=phone, verified=True))
        db.session.commit()
        return user.sub
