"""The Management API's clients, connections and logs (see management.py)."""

from __future__ import annotations

from flask import jsonify, request

from app.accounts.management import clients, connections, logs
from app.oidc import management as tokens

from .management import body, bp, requires


@bp.get("/clients")
@requires("read:clients")
def list_clients(caller: tokens.Caller):
    return jsonify(clients.list_clients(request.args))


@bp.get("/clients/<client_id>")
@requires("read:clients")
def get_client(caller: tokens.Caller, client_id: str):
    return jsonify(clients.client_json(clients.find_client(client_id)))


@bp.patch("/clients/<client_id>")
@requires("update:clients")
def update_client(caller: tokens.Caller, client_id: str):
    return jsonify(clients.update_client(client_id, body(), by=caller.actor))


@bp.get("/connections")
@requires("read:connections")
def list_connections(caller: tokens.Caller):
    return jsonify(connections.list_connections(request.args))


@bp.get("/connections/<connection_id>")
@requires("read:connections")
def get_connection(caller: tokens.Caller, connection_id: str):
    return jsonify(connections.connection_json(connections.find_connection(connection_id)))


@bp.patch("/connections/<connection_id>")
@requires("update:connections")
def update_connection(caller: tokens.Caller, connection_id: str):
    return jsonify(connections.update_connection(connection_id, body(), by=caller.actor))


@bp.get("/logs")
@requires("read:logs")
def list_logs(caller: tokens.Caller):
    return jsonify(logs.list_logs(request.args))
