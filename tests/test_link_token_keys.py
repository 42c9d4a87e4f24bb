"""Signed authorize requests and links follow the configured keys at once, though
their serializers are built once per keys and salt (app/signin/link_tokens.py)."""

from __future__ import annotations

import pytest

from app.signin import link_tokens


def test_a_rotated_key_still_reads_old_tokens_and_a_dropped_one_does_not(app):
    params = {"client_id": "abc", "state": "s"}
    with app.test_request_context("/"):
        old_key = app.config["SECRET_KEY"]
        token = link_tokens.sign_authorize_request(params)
        link = link_tokens.magic_link_for("ticket", "nonce").rsplit("/", 1)[1]
        app.config["SECRET_KEY"] = "a-new-key-" + "x" * 32
        app.config["SECRET_KEY_FALLBACKS"] = [old_key]
        assert link_tokens.load_authorize_request(token) == params
        assert link_tokens.load_magic_link(link) == link_tokens.MagicLink("ticket", "nonce")
        assert link_tokens.sign_authorize_request(params) != token  # signed with the new key
        app.config["SECRET_KEY_FALLBACKS"] = []
        with pytest.raises(link_tokens.BadToken):
            link_tokens.load_authorize_request(token)
        with pytest.raises(link_tokens.BadToken):
            link_tokens.load_magic_link(link)
