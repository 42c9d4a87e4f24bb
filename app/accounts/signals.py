"""Signals for side effects that cross packages (blinker, as Flask uses).

A sender does not import its receivers: "a user was blocked" ends that user's
sessions (app/accounts/sessions.py listens) without the user store importing
the session store. Receivers are connected by create_app
(`sessions.connect_signals()`).
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: Sent by users.set_blocked(user, True), with `user=`; before the commit, so
#: receivers' changes are committed with the block.
user_blocked = _signals.signal("user-blocked")
