"""Post-login hooks the tests register by dotted path (`hook_samples:…`): tests/ is on
sys.path, as an operator's own module would be on theirs."""

from __future__ import annotations

import time

ROLES = "https://example.com/roles"


def add_roles(login) -> None:
    """A claims hook: a namespaced claim built from the context."""
    login.add_claim(ROLES, ["reader", login.app.client_id if login.app else "none"])
    login.add_claim("https://example.com/country", login.country)


def add_bare_claim(login) -> None:
    """A hook that breaks the namespacing rule: the sign-in fails closed."""
    login.add_claim("roles", ["admin"])


def add_huge_claim(login) -> None:
    """Claims past the 4 KB the tokens may carry: the sign-in fails closed."""
    login.add_claim("https://example.com/blob", "x" * 5000)


def crash(login) -> None:
    raise RuntimeError("the directory service is down")


def sleep_long(login) -> None:
    time.sleep(3)
    login.deny("too late to count")  # never read: the sign-in has failed closed by then


def always_step_up(login) -> None:
    login.require_step_up()


def deny_everyone(login) -> None:
    login.deny("Ce service est fermé pour maintenance.")


NOT_CALLABLE = "a string"
