"""Example post-login hook: a second code when the request comes from outside the
office networks (a step-up on the person's other verified channel).

    FLASK_POST_LOGIN_HOOKS=step_up_outside_network:step_up_outside_network
    FLASK_STEP_UP_TRUSTED_NETWORKS='["10.0.0.0/8", "2001:db8::/32"]'
    FLASK_STEP_UP_CLIENT_IDS='["<client_id>"]'        # optional: only these apps

A person signing in from an address outside every trusted network is sent a second
code on their other verified channel (their phone after an email code, their email
after an SMS code); the ID token's `amr` then holds both methods. Behind a proxy,
set FLASK_TRUSTED_PROXIES so that the address is the person's, not the proxy's.
"""

from __future__ import annotations

import ipaddress

from flask import current_app


def step_up_outside_network(login) -> None:
    """Ask for a second code from outside the trusted networks."""
    config = current_app.config
    apps = config.get("STEP_UP_CLIENT_IDS") or []
    if apps and (login.app is None or login.app.client_id not in apps):
        return
    networks = [ipaddress.ip_network(net) for net in config.get("STEP_UP_TRUSTED_NETWORKS") or []]
    try:
        address = ipaddress.ip_address(login.ip or "")
    except ValueError:
        address = None  # unknown origin: never trusted
    if address is None or not any(address in network for network in networks):
        login.require_step_up()
