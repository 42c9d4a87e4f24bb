"""Connection settings: read with defaults, update with validation."""

from __future__ import annotations

from app.accounts import events
from app.extensions import db
from app.models import CONNECTIONS, DEFAULT_DAILY_BUDGET, SEND_MODES, Connection
from app.signin.phones import is_country

CODE_LENGTH = (4, 12)
TTL_SECONDS = (60, 3600)
MAX_ATTEMPTS = (1, 10)
DAILY_BUDGET = (0, 1_000_000)


class UnknownConnection(ValueError):
    """The name is not `email` or `sms`."""


class InvalidSetting(ValueError):
    """A connection setting is out of range; the message says which and why."""


def get_connection(name: str) -> Connection:
    """The connection's settings row, created with defaults on first use."""
    if name not in CONNECTIONS:
        raise UnknownConnection(name)
    connection = db.session.get(Connection, name)
    if connection is None:
        _insert_defaults(name)
        connection = db.session.get(Connection, name)
    return connection


def _insert_defaults(name: str) -> None:
    """Create the row with its defaults; parallel first requests must not collide
    (INSERT … ON CONFLICT DO NOTHING where the database has it)."""
    defaults = {
        "name": name,
        "send": "code",
        "code_length": 6,
        "ttl_seconds": 300,
        "max_attempts": 3,
        "signup_allowed": True,
        "allowed_countries": [],
        "default_country": None,
        "daily_budget": DEFAULT_DAILY_BUDGET,
        "templates": {},
    }
    dialect = db.session.get_bind().dialect.name
    if dialect not in ("sqlite", "postgresql"):
        db.session.add(Connection(**defaults))
        db.session.flush()
        return
    # The dialect's own INSERT, imported here: the other dialect's modules stay unloaded
    # (SQLAlchemy's SQLite dialect would cost each PostgreSQL worker 0.6 MiB).
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    db.session.execute(insert(Connection).values(**defaults).on_conflict_do_nothing())


def update_connection(
    name: str,
    *,
    send: str | None = None,
    code_length: int | None = None,
    ttl_seconds: int | None = None,
    max_attempts: int | None = None,
    signup_allowed: bool | None = None,
    allowed_countries: list[str] | str | None = None,
    default_country: str | None = None,
    daily_budget: int | None = None,
    by: str | None = None,
) -> Connection:
    """Change a connection's settings; None leaves a setting as it is. `by` names who
    asked, for the audit event.

    Every value is checked before anything is stored, so a bad value changes nothing.
    """
    connection = get_connection(name)
    changes: dict[str, object] = {}
    if send is not None:
        changes["send"] = _valid_send(name, send)
    if code_length is not None:
        changes["code_length"] = _in_range("Code length", code_length, CODE_LENGTH, "digits")
    if ttl_seconds is not None:
        changes["ttl_seconds"] = _in_range("Code lifetime", ttl_seconds, TTL_SECONDS, "seconds")
    if max_attempts is not None:
        changes["max_attempts"] = _in_range("Max attempts", max_attempts, MAX_ATTEMPTS, "tries")
    if signup_allowed is not None:
        if not isinstance(signup_allowed, bool):
            raise InvalidSetting(f"Sign-up allowed must be true or false, not {signup_allowed!r}.")
        changes["signup_allowed"] = signup_allowed
    if allowed_countries is not None:
        _sms_only(name, "Allowed countries", allowed_countries)
        changes["allowed_countries"] = valid_countries(allowed_countries)
    if default_country is not None:
        _sms_only(name, "The default country", default_country)
        codes = valid_countries(default_country)
        if len(codes) > 1:
            raise InvalidSetting("The default country is one ISO code, like US.")
        changes["default_country"] = codes[0] if codes else None
    if daily_budget is not None:
        _sms_only(name, "The daily budget", daily_budget)
        changes["daily_budget"] = _in_range("Daily budget", daily_budget, DAILY_BUDGET, "messages")
    for attribute, value in changes.items():
        setattr(connection, attribute, value)
    who = {"by": by} if by else {}
    events.record("admin.connection_updated", connection=name, **changes, **who)
    db.session.commit()
    return connection


def valid_countries(value: list[str] | str) -> list[str]:
    """ISO 3166 country codes (upper case, duplicates dropped); "" or "all" means none."""
    if isinstance(value, str):
        value = value.split(",")
    codes: list[str] = []
    for raw in value:
        code = str(raw).strip().upper()
        if not code or code == "ALL":
            continue
        if not is_country(code):
            raise InvalidSetting(f"Unknown country {raw.strip()!r}; use ISO codes like US, GB.")
        if code not in codes:
            codes.append(code)
    return codes


def _sms_only(name: str, label: str, value: object) -> None:
    if name != "sms":
        raise InvalidSetting(f"{label} is a setting of the sms connection only.")


def _valid_send(name: str, send: str) -> str:
    if send not in SEND_MODES:
        raise InvalidSetting(f"Send must be one of {', '.join(SEND_MODES)}, not {send!r}.")
    if name == "sms" and send != "code":
        raise InvalidSetting("The sms connection sends codes only; magic links are email only.")
    return send


def _in_range(label: str, value: int, bounds: tuple[int, int], unit: str) -> int:
    low, high = bounds
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidSetting(f"{label} must be a whole number of {unit}, not {value!r}.")
    if not low <= value <= high:
        raise InvalidSetting(f"{label} must be from {low} to {high} {unit}, not {value}.")
    return value
