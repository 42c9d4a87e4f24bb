"""Signals for side effects that cross packages (blinker, as Flask uses).

A sender does not import its receivers: "a user was blocked" ends that user's
sessions (app/accounts/sessions.py listens) without the user store importing
the session store. Receivers are connected by create_app
(`sessions.connect_signals()`, and app.oidc's init_app).
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: Sent by users.set_blocked(user, True), with `user=`; before the commit, so
#: receivers' changes are committed with the block.
user_blocked = _signals.signal("user-blocked")

#: Sent by sessions.end_all_for(user, reason) (sender: the User) when every session
#: of a user ends: they were blocked, or an operator signed them out everywhere.
#: Listeners end what they keep for that user (app.oidc revokes refresh and access
#: tokens) inside the caller's transaction, which the caller commits.
signed_out_everywhere = _signals.signal("signed-out-everywhere")
