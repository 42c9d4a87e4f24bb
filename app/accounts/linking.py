"""Account linking: one person, one user, several verified identities.

Passwordless cannot make people use the same address every time, so one person
may end up with several users. These rules join and split them (Auth0's account
linking, built in); the account page (app/signin/account_codes.py, app/web/account.py)
and the management API call them. Each records events and commits.

- `link`: a verified address that belongs to nobody joins a user.
- `merge`: a second user joins a primary. The primary's `sub` never changes. The
  secondary's identities move to the primary and keep their own ids (Auth0's
  `identities[].user_id`, the secondary's old sub); its browser sessions end, its
  refresh and access tokens stop working and go with its unused authorization codes;
  then the secondary user is deleted. Apps that knew the secondary's `sub` never see it
  again. The caller has verified both users in the same step: on the account page the
  signed-in session is the primary and a code sent to the address the secondary's; the
  management API acts on an operator's authority.
- `unlink`: an identity leaves its user and becomes a user of its own, as Auth0 does;
  its new user's `sub` is the identity's id when no one has it. Refused for the last one.
- `delete`: the user goes with its identities, sessions, tokens and codes; events stay.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete as sql_delete
from sqlalchemy import select, update

from app.accounts import events, sessions, users
from app.extensions import db
from app.models import (
    AccessToken,
    AuthorizationCode,
    BrowserSession,
    Identity,
    LoginTicket,
    RefreshToken,
    User,
    random_id,
)

# Which OIDC scope lets an app see identities of each connection (in /userinfo).
SCOPE_OF = {"email": "email", "sms": "phone"}


class LinkError(Exception):
    """A linking rule refused; `reason` names which."""

    reason = "error"


class AlreadyLinked(LinkError):
    """The address is already this user's."""

    reason = "already_linked"


class BelongsToAnother(LinkError):
    """The address is another user's: only a merge (after verifying it) can join them."""

    reason = "belongs_to_another"

    def __init__(self, owner: User):
        super().__init__(owner.sub)
        self.owner = owner


class LastIdentity(LinkError):
    """A user keeps at least one identity."""

    reason = "last_identity"


class IdentityNotFound(LinkError):
    reason = "identity_not_found"


class CannotMerge(LinkError):
    """The same user twice, or a blocked one."""

    reason = "cannot_merge"


def identities(user: User, scope: str | None = None) -> list[dict[str, Any]]:
    """The user's verified identities in Auth0's shape. With `scope`, only those the
    scope lets an app see (`email` for email identities, `phone` for sms ones)."""
    allowed = None if scope is None else set(scope.split())
    found = []
    for identity in user.identities:
        if not identity.verified:
            continue
        if allowed is not None and SCOPE_OF.get(identity.connection) not in allowed:
            continue
        if identity.connection == "sms":
            profile = {"phone_number": identity.value, "phone_verified": True}
        else:
            profile = {"email": identity.value, "email_verified": True}
        found.append(
            {
                "connection": identity.connection,
                "provider": identity.connection,
                "user_id": identity.subject,
                "isSocial": False,
                "profileData": profile,
            }
        )
    return found


def find_identity(user: User, provider: str, user_id: str) -> Identity:
    """One of the user's identities, by provider (`email` | `sms`) and its own id."""
    for identity in user.identities:
        if identity.connection == provider and identity.subject == user_id:
            return identity
    raise IdentityNotFound()


def link(user: User, connection: str, value: str, *, actor: str = "user") -> Identity:
    """Add a verified email address or phone number (normalized) that no user has."""
    owner = users.find_by_identity(connection, value)
    if owner is not None and owner.id == user.id:
        raise AlreadyLinked()
    if owner is not None:
        raise BelongsToAnother(owner)
    identity = Identity(connection=connection, value=value, verified=True, subject=random_id())
    user.identities.append(identity)
    events.record(
        "user.identity_linked",
        user_id=user.id,
        connection=connection,
        recipient=value,
        identity=identity.subject,
        by=actor,
    )
    db.session.commit()
    return identity


def merge(primary: User, secondary: User, *, actor: str = "user") -> list[Identity]:
    """Join `secondary` into `primary` (see the module's rules); returns the identities
    that moved."""
    if primary.id == secondary.id or primary.blocked or secondary.blocked:
        raise CannotMerge()
    moved = list(secondary.identities)
    for identity in moved:
        identity.user = primary
    db.session.flush()
    events.record(
        "user.merged",
        user_id=primary.id,
        merged_sub=secondary.sub,
        identities=[i.subject for i in moved],
        by=actor,
    )
    _remove(secondary, reason="merged", into=primary.sub, by=actor)
    db.session.commit()
    return moved


def unlink(user: User, provider: str, user_id: str, *, actor: str = "user") -> User:
    """Take an identity off a user; it becomes a user of its own, which is returned."""
    identity = find_identity(user, provider, user_id)
    if len(user.identities) <= 1:
        raise LastIdentity()
    taken = db.session.scalar(select(User.id).filter_by(sub=identity.subject))
    own = User(sub=identity.subject if identity.subject and taken is None else random_id())
    db.session.add(own)
    identity.user = own
    db.session.flush()
    events.record(
        "user.identity_unlinked",
        user_id=user.id,
        connection=identity.connection,
        recipient=identity.value,
        identity=identity.subject,
        new_sub=own.sub,
        by=actor,
    )
    db.session.commit()
    return own


def delete(user: User, *, actor: str = "user") -> None:
    """Delete a user with everything it holds (see the module's rules)."""
    _remove(user, reason="deleted", by=actor)
    db.session.commit()


def _remove(user: User, reason: str, **detail: Any) -> None:
    """End and delete what a user holds, then the user (the caller commits). Sessions end
    through sessions.end_all_for, so every listener of `signed_out_everywhere` hears it;
    the rows go explicitly, since SQLite does not enforce ON DELETE here."""
    sessions.end_all_for(user, reason=reason)
    for model in (BrowserSession, AuthorizationCode, AccessToken, RefreshToken):
        db.session.execute(sql_delete(model).where(model.user_id == user.id))
    db.session.execute(
        update(LoginTicket).where(LoginTicket.user_id == user.id).values(user_id=None)
    )
    events.record("user.deleted", user_id=user.id, sub=user.sub, reason=reason, **detail)
    db.session.delete(user)
    db.session.flush()
