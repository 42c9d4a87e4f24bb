"""Post-login hooks: the operator's Python callables that run after a verified sign-in
and before the way back to the app (Auth0's Rules with passwordless).

A hook is a callable taking one `PostLogin`: it reads who signed in, to which app,
with which connection, from where, and the authorize request, and may call
`login.deny(message)`, `login.add_claim(name, value)` or `login.require_step_up()`.
Hooks come from the entry point group `latchkey.post_login` (sorted by name), then
from `FLASK_POST_LOGIN_HOOKS` (dotted paths, comma-separated, in that order); start-up
stops on one that cannot be imported. Each runs in its own thread, with an app
context, for at most `FLASK_POST_LOGIN_HOOK_TIMEOUT` seconds: one that raises or
takes longer fails the sign-in closed. The first denial ends the run.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from importlib.metadata import entry_points
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, current_app
from werkzeug.utils import ImportStringError, import_string

from app.accounts import events
from app.config import ConfigError
from app.extensions import db
from app.models import Client, User
from app.signin.outcomes import SignIn

ENTRY_POINT_GROUP = "latchkey.post_login"
EXTENSION_KEY = "latchkey.post_login_hooks"
MAX_MESSAGE = 300  # characters of a denial shown on the page
MAX_CLAIMS_SIZE = 4096  # bytes of all hook claims together, as JSON
# Claims an ID token or /userinfo already means something by (OIDC Core, RFC 7519,
# RFC 8176, RFC 9068): a hook can never set them, namespaced or not.
STANDARD_CLAIMS = frozenset(
    "iss sub aud exp nbf iat jti auth_time nonce acr amr azp at_hash c_hash sid scope "
    "client_id name given_name family_name middle_name nickname preferred_username "
    "profile picture website email email_verified gender birthdate zoneinfo locale "
    "phone_number phone_number_verified address updated_at identities".split()
)

Hook = Callable[["PostLogin"], Any]


@dataclass(frozen=True)
class HookUser:
    """Who signed in: the stable `sub` and the verified email address and phone number."""

    sub: str
    email: str | None
    phone_number: str | None
    identities: tuple[tuple[str, str], ...]  # (connection, value), verified ones
    created_at: datetime


@dataclass(frozen=True)
class HookApp:
    """The app (client) the person signs in to."""

    client_id: str
    name: str
    type: str  # regular | spa | native


@dataclass(frozen=True)
class Origin:
    """Where the request came from: its IP and the proxy's country hint (ISO code)."""

    ip: str | None = None
    country: str | None = None


@dataclass(eq=False)
class PostLogin:
    """What a hook sees (read it) and what it may ask for (call its methods)."""

    user: HookUser
    app: HookApp | None
    connection: str  # email | sms: how this sign-in proved the person
    ip: str | None
    country: str | None
    authorize_request: Mapping[str, str]
    amr: tuple[str, ...]
    _denied: str | None = field(default=None, repr=False)
    _claims: dict[str, Any] = field(default_factory=dict, repr=False)
    _step_up: bool = field(default=False, repr=False)

    @property
    def stepped_up(self) -> bool:
        """Whether this sign-in already holds a second code on the other channel."""
        return "mfa" in self.amr

    def deny(self, message: str) -> None:
        """Refuse this sign-in; `message` is shown on the page (plain text)."""
        self._denied = " ".join(str(message).split())[:MAX_MESSAGE] or "Access denied."

    def add_claim(self, name: str, value: Any) -> None:
        """Add a namespaced claim (`https://example.com/roles`) to the ID token and
        /userinfo. ValueError for a name that is not namespaced or is a standard claim,
        or a value that is not JSON; the sign-in then fails closed."""
        check_claim_name(name)
        try:
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError):
            raise ValueError(f"The value of claim {name!r} is not JSON.") from None
        self._claims[name] = value

    def require_step_up(self) -> None:
        """Ask for a second code on the person's other verified email or phone; satisfied
        once `stepped_up` (the hooks run again after the second code)."""
        self._step_up = True


@dataclass(frozen=True)
class Verdict:
    """What the hooks decided together."""

    claims: dict[str, Any] = field(default_factory=dict)
    denied: str | None = None
    step_up: bool = False
    failed: bool = False  # a hook raised or ran out of time: fail closed


def check_claim_name(name: object) -> None:
    """A hook's claim is namespaced: an http(s) URL with a host, never a standard name."""
    if not isinstance(name, str) or not name or len(name) > 200:
        raise ValueError("A claim name is a string of 1 to 200 characters.")
    if name in STANDARD_CLAIMS:
        raise ValueError(f"{name!r} is a standard claim: hooks cannot set it.")
    parts = urlsplit(name)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(
            f"Claim {name!r} is not namespaced: name it with a URL you own, "
            "such as 'https://example.com/roles'."
        )


def init_app(app: Flask) -> None:
    """Load the hooks once at start (a ConfigError names one that cannot be loaded)."""
    timeout = app.config.get("POST_LOGIN_HOOK_TIMEOUT")
    try:
        timeout = float(timeout)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        timeout = 0
    if not 0 < timeout <= 60:
        raise ConfigError("FLASK_POST_LOGIN_HOOK_TIMEOUT must be a number of seconds from 0 to 60.")
    app.config["POST_LOGIN_HOOK_TIMEOUT"] = timeout
    app.extensions[EXTENSION_KEY] = load(app.config.get("POST_LOGIN_HOOKS"))


def load(configured: object) -> list[tuple[str, Hook]]:
    """The hooks, by name: entry points first (sorted), then the configured paths."""
    found: list[tuple[str, Hook]] = []
    for point in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda p: p.name):
        try:
            hook = point.load()
        except Exception as error:  # the operator's module: anything may go wrong
            raise ConfigError(
                f"The post-login hook entry point {point.name!r} ({point.value}) cannot be "
                f"loaded: {type(error).__name__}: {error}"
            ) from None
        found.append(
            (point.name, _callable(hook, f"The post-login hook entry point {point.name!r}"))
        )
    for path in _paths(configured):
        try:
            hook = import_string(path)
        except ImportStringError as error:
            raise ConfigError(
                f"FLASK_POST_LOGIN_HOOKS: {path!r} cannot be imported "
                f"({type(error.exception).__name__}: {error.exception})."
            ) from None
        found.append((path, _callable(hook, f"FLASK_POST_LOGIN_HOOKS: {path!r}")))
    return found


def _paths(configured: object) -> list[str]:
    if not configured:
        return []
    items = configured.split(",") if isinstance(configured, str) else list(configured)  # type: ignore[call-overload]
    return [str(item).strip() for item in items if str(item).strip()]


def _callable(hook: object, named: str) -> Hook:
    if not callable(hook):
        raise ConfigError(f"{named} is not callable.")
    return hook  # type: ignore[return-value]


def configured() -> bool:
    """Whether any hook runs."""
    return bool(current_app.extensions.get(EXTENSION_KEY))


def country_hint(headers: Mapping[str, str]) -> str | None:
    """The country the operator's proxy named in FLASK_POST_LOGIN_COUNTRY_HEADER (an ISO
    code, upper-case); None without the setting or with anything else in the header."""
    name = current_app.config.get("POST_LOGIN_COUNTRY_HEADER")
    value = (headers.get(name) or "").strip().upper() if name else ""
    return value if len(value) == 2 and value.isascii() and value.isalpha() else None


def run(
    sign_in: SignIn,
    *,
    client: Client | None,
    connection: str,
    origin: Origin,
    authorize_params: Mapping[str, Any],
) -> Verdict:
    """Run every hook for a verified sign-in; events record denials and failures."""
    hooks = current_app.extensions.get(EXTENSION_KEY) or []
    if not hooks:
        return Verdict()
    # The sign-in so far is committed first: no transaction (on SQLite, the write lock)
    # stays open while hooks run, for seconds at most, in their own threads and sessions.
    db.session.commit()
    seen = {
        "user": _user_view(sign_in.user),
        "app": HookApp(client.client_id, client.name, client.client_type) if client else None,
        "connection": connection,
        "ip": origin.ip,
        "country": origin.country,
        "authorize_request": MappingProxyType(
            {k: v for k, v in authorize_params.items() if isinstance(v, str)}
        ),
        "amr": tuple(sign_in.amr),
    }
    claims: dict[str, Any] = {}
    step_up = False
    for name, hook in hooks:
        login = PostLogin(**seen)
        problem = _call(name, hook, login)
        if problem is not None:
            _record(
                "login.hook_failed", sign_in, client, connection, origin, hook=name, why=problem
            )
            return Verdict(failed=True)
        if login._denied is not None:
            _record("login.hook_denied", sign_in, client, connection, origin, hook=name)
            return Verdict(denied=login._denied)
        claims.update(login._claims)
        if len(json.dumps(claims)) > MAX_CLAIMS_SIZE:
            why = "claims_too_large"
            _record("login.hook_failed", sign_in, client, connection, origin, hook=name, why=why)
            return Verdict(failed=True)
        step_up = step_up or (login._step_up and not login.stepped_up)
    return Verdict(claims=claims, step_up=step_up)


def _call(name: str, hook: Hook, login: PostLogin) -> str | None:
    """Run one hook in its own thread; None when it returned in time, else why not.

    A hook that runs out of time is left to finish in its (daemon) thread; what it
    asks for afterwards is never read."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    outcome: dict[str, BaseException] = {}

    def target() -> None:
        try:
            with app.app_context():
                hook(login)
        except BaseException as error:  # noqa: BLE001  (even SystemExit fails closed)
            outcome["error"] = error

    thread = threading.Thread(target=target, name=f"post-login:{name}", daemon=True)
    thread.start()
    thread.join(app.config["POST_LOGIN_HOOK_TIMEOUT"])
    if thread.is_alive():
        app.logger.error("Post-login hook %s took too long; the sign-in was refused", name)
        return "timeout"
    if "error" in outcome:
        error = outcome["error"]
        app.logger.error(
            "Post-login hook %s raised %s; the sign-in was refused",
            name,
            type(error).__name__,
            exc_info=(type(error), error, error.__traceback__),
        )
        return "raised"
    return None


def _user_view(user: User) -> HookUser:
    verified = tuple((i.connection, i.value) for i in user.identities if i.verified)
    email = next((value for kind, value in verified if kind == "email"), None)
    phone = next((value for kind, value in verified if kind == "sms"), None)
    return HookUser(user.sub, email, phone, verified, user.created_at)


def _record(
    type_: str,
    sign_in: SignIn,
    client: Client | None,
    connection: str,
    origin: Origin,
    **detail: Any,
) -> None:
    events.record(
        type_,
        client_id=client.client_id if client else None,
        user_id=sign_in.user.id,
        connection=connection,
        ip=origin.ip,
        **detail,
    )
    db.session.commit()
