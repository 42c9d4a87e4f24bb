"""Rate limits: one owner for the app's limit storage and limiters.

`init_app` builds, once per app, the one storage (`FLASK_RATELIMIT_STORAGE_URI`,
memory or Redis, so processes sharing it share the counts) and what counts in it:

- Flask-Limiter's per-IP (and per-link) limits on the views that ask for them with
  `@limits.per_request("SETTING")`; `apply_to_views` wraps them after the blueprints
  are registered, with this app's own Limiter (public API only);
- a moving-window limiter (the `limits` library) that the domain's own rules use:
  starts per recipient (signin/throttle.py), SMS per number, prefix and IP
  (signin/sms_guard.py), failed codes and the SMS daily budget (plain counters).

Everything is kept in `app.extensions["latchkey.limits"]`; `current()` gives it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from flask import Flask, current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits.storage import Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

EXTENSION_KEY = "latchkey.limits"
_DECLARED = "_latchkey_rate_limits"

View = TypeVar("View", bound=Callable)


@dataclass(frozen=True)
class AppLimits:
    """One app's rate-limit parts, all on one storage."""

    storage: Storage
    moving_window: MovingWindowRateLimiter
    requests: Limiter  # Flask-Limiter: per-IP limits on views, and the 429's current limit


def init_app(app: Flask) -> None:
    """Build this app's storage and limiters (call before registering blueprints)."""
    requests = Limiter(key_func=get_remote_address)
    requests.init_app(app)
    if requests.enabled:
        storage = requests.storage
    else:  # Flask-Limiter builds no storage when off; the SMS defences still count
        options = app.config.get("RATELIMIT_STORAGE_OPTIONS", {})
        storage = storage_from_string(app.config["RATELIMIT_STORAGE_URI"], **options)
    app.extensions[EXTENSION_KEY] = AppLimits(
        storage=storage, moving_window=MovingWindowRateLimiter(storage), requests=requests
    )


def current() -> AppLimits:
    """The current app's limits."""
    return current_app.extensions[EXTENSION_KEY]


def seconds_to_reset(default: float) -> float:
    """Seconds until the Flask-Limiter limit this request went over resets; `default`
    when none is known (for a 429's Retry-After)."""
    hit = current().requests.current_limit
    return hit.reset_at - time.time() if hit else default


def per_request(
    setting: str,
    key_func: Callable[[], str] | None = None,
    exempt_when: Callable[[], bool] | None = None,
    shared: str | None = None,
) -> Callable[[View], View]:
    """Declare a limit on a view: the config `setting` (e.g. "START_RATE_LIMIT"),
    counted per IP address, or per `key_func()` when given, except for requests for
    which `exempt_when()` is true; views that name the same `shared` scope count
    together. It takes effect in each app through `apply_to_views`."""

    def declare(view: View) -> View:
        declared = getattr(view, _DECLARED, ())
        setattr(view, _DECLARED, ((setting, key_func, exempt_when, shared), *declared))
        return view

    return declare


def apply_to_views(app: Flask) -> None:
    """Wrap this app's views that declared limits with its own Flask-Limiter limits
    (call after registering blueprints; the shared view functions stay untouched)."""
    requests = app.extensions[EXTENSION_KEY].requests
    limited = set()
    for endpoint, view in list(app.view_functions.items()):
        wrapped = view
        for setting, key_func, exempt_when, shared in reversed(getattr(view, _DECLARED, ())):
            options = {"key_func": key_func, "exempt_when": exempt_when}
            if shared:
                limit = requests.shared_limit(_setting_value(setting), shared, **options)
            else:
                limit = requests.limit(_setting_value(setting), **options)
            wrapped = limit(wrapped)
            limited.add(endpoint)
        app.view_functions[endpoint] = wrapped
    if requests.enabled and not _limits_every_request(app, requests):
        _hooks_only_for(app, requests, frozenset(limited))


def _limits_every_request(app: Flask, requests: Limiter) -> bool:
    """Whether Flask-Limiter's before-request check has anything to count: default,
    application, meta or blueprint limits, or the in-memory fallback (all set from
    FLASK_RATELIMIT_* settings). Latchkey's own limits are on views, checked by the
    view's wrapper. An attribute this cannot find counts as a limit (keep the check),
    and so does a request identifier other than the endpoint."""
    if app.config.get("RATELIMIT_REQUEST_IDENTIFIER"):
        return True
    manager = requests.limit_manager
    return any(
        getattr(owner, name, True)
        for owner, name in (
            (manager, "_default_limits"),
            (manager, "_application_limits"),
            (manager, "_blueprint_limits"),
            (requests, "_meta_limits"),
            (requests, "_in_memory_fallback_enabled"),
        )
    )


def _hooks_only_for(app: Flask, requests: Limiter, limited: frozenset[str]) -> None:
    """With no limit on every request, Flask-Limiter's before-request check counts
    nothing (it would only walk its tables on each request): drop it. Its after-request
    and teardown hooks (rate-limit headers, conditional deductions, its per-request
    state) only have something to do where a view's limit ran: run them there only."""

    def ours(hook) -> bool:  # a bound method of it, or a partial over it
        return requests in (getattr(hook, "__self__", None), *getattr(hook, "args", ())[:1])

    def after(hook):
        def only_on_limited_views(response):
            return hook(response) if requests.identify_request() in limited else response

        return only_on_limited_views

    def teardown(hook):
        def only_on_limited_views(error=None):
            if requests.identify_request() in limited:
                hook(error)

        return only_on_limited_views

    app.before_request_funcs[None] = [f for f in app.before_request_funcs[None] if not ours(f)]
    for hooks, guard in ((app.after_request_funcs, after), (app.teardown_request_funcs, teardown)):
        hooks[None] = [guard(f) if ours(f) else f for f in hooks[None]]


def _setting_value(setting: str) -> Callable[[], str]:
    return lambda: current_app.config[setting]
