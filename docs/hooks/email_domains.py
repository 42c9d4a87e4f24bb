"""Example post-login hook: only addresses at some domains may sign in to some apps.

    FLASK_POST_LOGIN_HOOKS=email_domains:allow_listed_domains
    FLASK_ALLOWED_EMAIL_DOMAINS='{"<client_id>": ["example.com", "example.org"]}'

Apps not named in FLASK_ALLOWED_EMAIL_DOMAINS are left alone. For a named app, a
person whose verified email address is at another domain (or who has no email
address: signed in by phone only) is refused with a message on the page, and the
app gets `error=access_denied`. Subdomains do not count: list them.
"""

from __future__ import annotations

from flask import current_app


def allow_listed_domains(login) -> None:
    """Deny a sign-in to an allow-listed app from an address outside its domains."""
    allowed = (current_app.config.get("ALLOWED_EMAIL_DOMAINS") or {}).get(
        login.app.client_id if login.app else None
    )
    if not allowed:
        return
    domains = {domain.lower().lstrip("@") for domain in allowed}
    email = login.user.email or ""
    if email.rpartition("@")[2].lower() not in domains:
        listed = ", ".join(sorted(domains))
        login.deny(f"Only addresses at {listed} can sign in to {login.app.name}.")
