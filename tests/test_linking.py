"""The linking rules (app/accounts/linking.py): link a verified address, merge a second
user into a primary (its sub never changes; the secondary's sessions and tokens end),
unlink (refused for the last identity; the identity becomes its own user), delete."""

from __future__ import annotations

import pytest
from helpers import RelyingApp, signed_in_code, userinfo
from sqlalchemy import func, select

from app.accounts import linking, users
from app.extensions import db
from app.models import (
    AccessToken,
    BrowserSession,
    Event,
    Identity,
    LoginTicket,
    RefreshToken,
    User,
)

PAT = "pat@example.com"
WORK = "pat@work.example"
PHONE = "+447400123456"


def _user(app, connection: str = "email", value: str = PAT) -> int:
    with app.app_context():
        user = users.create_with_identity(connection, value)
        db.session.commit()
        return user.id


def _events(app, type_: str) -> list[Event]:
    with app.app_context():
        return list(db.session.scalars(select(Event).filter_by(type=type_)))


def test_a_new_users_identity_carries_the_users_sub_as_its_own_id(app):
    user_id = _user(app)
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user.identities[0].subject == user.sub
        assert linking.identities(user) == [
            {
                "connection": "email",
                "provider": "email",
                "user_id": user.sub,
                "isSocial": False,
                "profileData": {"email": PAT, "email_verified": True},
            }
        ]


def test_link_adds_a_verified_identity_with_its_own_id_and_an_event(app):
    user_id = _user(app)
    with app.app_context():
        user = db.session.get(User, user_id)
        identity = linking.link(user, "sms", PHONE)
        assert identity.verified and identity.subject and identity.subject != user.sub
        assert users.find_by_identity("sms", PHONE).id == user_id
        shapes = linking.identities(user)
        assert [i["provider"] for i in shapes] == ["email", "sms"]
        assert shapes[1]["profileData"] == {"phone_number": PHONE, "phone_verified": True}
        # Filtered by scope, as /userinfo shows them.
        assert [i["provider"] for i in linking.identities(user, "openid email")] == ["email"]
        assert [i["provider"] for i in linking.identities(user, "openid phone")] == ["sms"]
    (event,) = _events(app, "user.identity_linked")
    assert event.user_id == user_id and event.recipient != PHONE  # masked


def test_link_refuses_an_address_already_linked_or_someone_elses(app):
    pat, sam = _user(app), _user(app, value="sam@example.com")
    with app.app_context():
        user = db.session.get(User, pat)
        with pytest.raises(linking.AlreadyLinked):
            linking.link(user, "email", PAT)
        with pytest.raises(linking.BelongsToAnother) as refused:
            linking.link(user, "email", "sam@example.com")
        assert refused.value.owner.id == sam
        assert len(user.identities) == 1


def test_merge_moves_identities_keeps_the_primarys_sub_and_deletes_the_secondary(app):
    primary_id, secondary_id = _user(app), _user(app, "sms", PHONE)
    with app.app_context():
        primary, secondary = db.session.get(User, primary_id), db.session.get(User, secondary_id)
        primary_sub, secondary_sub = primary.sub, secondary.sub
        moved = linking.merge(primary, secondary)
        assert [i.value for i in moved] == [PHONE]
    with app.app_context():
        primary = db.session.get(User, primary_id)
        assert primary.sub == primary_sub
        assert db.session.get(User, secondary_id) is None
        assert sorted(i.value for i in primary.identities) == sorted([PAT, PHONE])
        # The moved identity keeps its id: the secondary's old sub (Auth0's shape).
        assert {i["user_id"] for i in linking.identities(primary)} == {primary_sub, secondary_sub}
        assert users.find_by_identity("sms", PHONE).id == primary_id
    (merged,) = _events(app, "user.merged")
    assert merged.user_id == primary_id and merged.detail["merged_sub"] == secondary_sub
    (deleted,) = _events(app, "user.deleted")
    assert deleted.user_id == secondary_id and deleted.detail["reason"] == "merged"


def test_merge_ends_the_secondarys_sessions_and_tokens_not_the_primarys(app):
    shop = RelyingApp.register(app, connections=("email",))
    http_primary, http_secondary = app.test_client(), app.test_client()
    tokens = {}
    for http, email in ((http_primary, PAT), (http_secondary, WORK)):
        code = signed_in_code(http, shop, email, scope="openid email offline_access")
        tokens[email] = shop.exchange(http, code).get_json()
    with app.app_context():
        primary, secondary = (
            users.find_by_identity("email", PAT),
            users.find_by_identity("email", WORK),
        )
        secondary_id = secondary.id
        linking.merge(primary, secondary)
    with app.app_context():
        for model in (BrowserSession, AccessToken, RefreshToken):
            left = db.session.scalar(select(func.count()).where(model.user_id == secondary_id))
            assert left == 0, model
    assert userinfo(app.test_client(), tokens[WORK]["access_token"]).status_code == 401
    refreshed = app.test_client().post(
        "/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens[WORK]["refresh_token"]},
        auth=(shop.client_id, shop.secret),
    )
    assert refreshed.status_code == 400
    info = userinfo(app.test_client(), tokens[PAT]["access_token"])
    assert info.status_code == 200
    assert {i["profileData"]["email"] for i in info.get_json()["identities"]} == {PAT, WORK}


@pytest.mark.parametrize("which", ["same", "blocked"])
def test_merge_refuses_the_same_user_or_a_blocked_one(app, which):
    primary_id, secondary_id = _user(app), _user(app, value=WORK)
    with app.app_context():
        primary, secondary = db.session.get(User, primary_id), db.session.get(User, secondary_id)
        if which == "blocked":
            secondary.blocked = True
        with pytest.raises(linking.CannotMerge):
            linking.merge(primary, primary if which == "same" else secondary)
        assert db.session.get(User, secondary_id) is not None


def test_unlinking_the_last_identity_is_refused(app):
    user_id = _user(app)
    with app.app_context():
        user = db.session.get(User, user_id)
        with pytest.raises(linking.LastIdentity):
            linking.unlink(user, "email", user.sub)
        with pytest.raises(linking.IdentityNotFound):
            linking.unlink(user, "sms", user.sub)
        assert len(user.identities) == 1


def test_an_unlinked_identity_becomes_its_own_user_with_its_old_sub(app):
    primary_id, secondary_id = _user(app), _user(app, "sms", PHONE)
    with app.app_context():
        primary, secondary = db.session.get(User, primary_id), db.session.get(User, secondary_id)
        primary_sub, secondary_sub = primary.sub, secondary.sub
        linking.merge(primary, secondary)
    with app.app_context():
        primary = db.session.get(User, primary_id)
        own = linking.unlink(primary, "sms", secondary_sub)
        assert own.sub == secondary_sub  # back as it was before the merge
        assert [i.value for i in own.identities] == [PHONE]
        assert primary.sub == primary_sub and [i.value for i in primary.identities] == [PAT]
        # The primary's first identity has the primary's sub as its id: unlinking it
        # makes a user with a new sub (the primary keeps its own).
        linking.link(primary, "email", WORK)
        first = linking.unlink(primary, "email", primary_sub)
        assert first.sub != primary_sub and primary.sub == primary_sub
        assert users.find_by_identity("email", PAT).id == first.id
    assert len(_events(app, "user.identity_unlinked")) == 2


def test_delete_removes_the_user_identities_sessions_and_tokens(app):
    shop = RelyingApp.register(app)
    http = app.test_client()
    token = shop.exchange(http, signed_in_code(http, shop, PAT)).get_json()["access_token"]
    with app.app_context():
        user = users.find_by_identity("email", PAT)
        user_id = user.id
        linking.link(user, "sms", PHONE)
        linking.delete(user)
    with app.app_context():
        assert db.session.get(User, user_id) is None
        assert db.session.scalar(select(func.count()).select_from(Identity)) == 0
        assert db.session.scalar(select(func.count()).where(BrowserSession.user_id == user_id)) == 0
        assert db.session.scalar(select(func.count()).where(LoginTicket.user_id == user_id)) == 0
    assert userinfo(app.test_client(), token).status_code == 401
    (deleted,) = _events(app, "user.deleted")
    assert deleted.user_id == user_id and deleted.detail["reason"] == "deleted"
    with app.app_context():
        assert users.find_by_identity("email", PAT) is None  # it would sign up afresh
