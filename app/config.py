"""Configuration: defaults, then FLASK_* environment, then checks at start."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask

from app import at_rest
from app.config_defaults import BOOL_KEYS, DEFAULTS, INT_KEYS, SMS_PROVIDERS


class ConfigError(RuntimeError):
    """Raised at start when the configuration cannot run safely."""


def load(app: Flask, test_config: dict | None) -> None:
    """Fill app.config from defaults, the FLASK_* environment and test overrides."""
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env()
    if test_config:
        app.config.from_mapping(test_config)
    for key in BOOL_KEYS:
        app.config[key] = _as_bool(app.config.get(key))
    for key in INT_KEYS:
        app.config[key] = _as_int(key, app.config.get(key))
    _fill_development_defaults(app)
    check(app)


def _as_bool(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def _as_int(key: str, value: object) -> int:
    try:
        number = int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ConfigError(f"FLASK_{key} must be a whole number, not {value!r}.") from None
    if number < 0:
        raise ConfigError(f"FLASK_{key} must not be negative.")
    return number


def base_url(config) -> str:
    """The issuer without its trailing slash: what every URL of this server starts with
    (OIDC Discovery §4 drops the slash before appending a path)."""
    return str(config["ISSUER"]).rstrip("/")


def is_relaxed(app: Flask) -> bool:
    """Debug and testing may run without production secrets."""
    return bool(app.debug or app.testing)


def _fill_development_defaults(app: Flask) -> None:
    instance = Path(app.instance_path)
    if not app.config["SQLALCHEMY_DATABASE_URI"]:
        _private_folder(instance)
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'latchkey.sqlite'}"
    if not is_relaxed(app):
        return
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(instance)
    if not app.config.get("ISSUER"):
        # With the trailing slash Auth0's issuers have (the SPA demo's auth0-spa-js
        # accepts no other `iss`).
        app.config["ISSUER"] = "http://127.0.0.1:5000/"
    if not app.config.get("KEY_ENCRYPTION_KEYS"):
        app.config["KEY_ENCRYPTION_KEYS"] = at_rest.derived_key(app.config["SECRET_KEY"])
    if not app.config.get("EMAIL_PROVIDER"):
        app.config["EMAIL_PROVIDER"] = "dev"
    if not app.config.get("SMS_PROVIDER"):
        app.config["SMS_PROVIDER"] = "dev"
    if app.debug:
        app.config["DEV_OUTBOX"] = True
        app.config["DEMO"] = True


def _private_folder(folder: Path) -> None:
    """The instance folder holds the SQLite file and the dev secret: owner only (0700)."""
    created = not folder.exists()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    if created:
        os.chmod(folder, 0o700)  # mkdir's mode is filtered by the umask


def _instance_secret(instance: Path) -> str:
    """A development secret kept in the instance folder so restarts keep sessions."""
    _private_folder(instance)
    path = instance / "dev-secret-key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        os.chmod(path, 0o600)
    return path.read_text().strip()


def check(app: Flask) -> None:
    """Refuse to start without the settings a production server needs."""
    missing = [key for key in ("SECRET_KEY", "ISSUER") if not app.config.get(key)]
    if missing:
        names = " and ".join(f"FLASK_{key}" for key in missing)
        raise ConfigError(
            f"Latchkey needs {names} outside debug and testing (see README, 'Configuration')."
        )
    # Kept exactly as written: Auth0's issuers end in "/" and its SDKs compare `iss` to
    # the letter. URLs are built from base_url(), which drops that slash.
    app.config["ISSUER"] = str(app.config["ISSUER"])
    if app.config["DEV_OUTBOX"] and not is_relaxed(app):
        raise ConfigError(
            "FLASK_DEV_OUTBOX publishes every code and link: it runs only in debug or testing."
        )
    check_key_encryption(app)
    for key in ("RETAIN_TICKETS_DAYS", "RETAIN_MESSAGES_DAYS", "RETAIN_EVENTS_DAYS"):
        if app.config[key] < 1:
            raise ConfigError(f"FLASK_{key} must be at least 1 (today's SMS budget reads it).")
    if not app.config.get("EMAIL_PROVIDER"):
        app.config["EMAIL_PROVIDER"] = "smtp"
    if app.config["EMAIL_PROVIDER"] not in ("smtp", "dev"):
        raise ConfigError(
            f"FLASK_EMAIL_PROVIDER must be 'smtp' or 'dev', not {app.config['EMAIL_PROVIDER']!r}."
        )
    check_sms(app)
    check_log_format(app)
    secure = app.config["ISSUER"].startswith("https://")
    if secure:
        app.config["SESSION_COOKIE_SECURE"] = True
    app.config["SECURE_TRANSPORT"] = secure
    # __Host- cookies are Secure, host-only and path=/: a sibling subdomain or a network
    # attacker on plain HTTP cannot plant them (a planted binding would let an
    # attacker's magic link count as "the same browser").
    prefix = "__Host-" if secure else ""
    app.config.setdefault("SSO_COOKIE_NAME", f"{prefix}latchkey_sso")
    if not app.config.get("BINDING_COOKIE_NAME"):
        app.config["BINDING_COOKIE_NAME"] = f"{prefix}latchkey_binding"
    if secure and app.config.get("SESSION_COOKIE_NAME") == "session":
        app.config["SESSION_COOKIE_NAME"] = "__Host-session"
    if app.config.get("BINDING_COOKIE_SECURE") is None:
        app.config["BINDING_COOKIE_SECURE"] = secure or not app.debug


def check_log_format(app: Flask) -> None:
    """FLASK_LOG_FORMAT is json or text (or unset: json outside debug)."""
    value = app.config.get("LOG_FORMAT") or None
    if value is not None:
        value = str(value).strip().lower()
        if value not in ("json", "text"):
            raise ConfigError(f"FLASK_LOG_FORMAT must be 'json' or 'text', not {value!r}.")
    app.config["LOG_FORMAT"] = value


def check_key_encryption(app: Flask) -> None:
    """FLASK_KEY_ENCRYPTION_KEYS holds one or more valid Fernet keys, newest first."""
    keys = at_rest.parse_keys(app.config.get("KEY_ENCRYPTION_KEYS"))
    if not keys:
        raise ConfigError(
            "Latchkey needs FLASK_KEY_ENCRYPTION_KEYS (Fernet keys, comma-separated) outside "
            "debug and testing (see README, 'Keys at rest')."
        )
    try:
        at_rest.build(keys)
    except ValueError as error:
        raise ConfigError(
            f"FLASK_KEY_ENCRYPTION_KEYS: {error} (make one with `flask keys new-encryption-key`)."
        ) from None
    app.config["KEY_ENCRYPTION_KEYS"] = keys


def check_sms(app: Flask) -> None:
    """The chosen SMS provider has what it needs; one clear line when it does not."""
    config = app.config
    provider = config.get("SMS_PROVIDER") or None
    config["SMS_PROVIDER"] = provider
    if provider is None:
        return
    if provider not in SMS_PROVIDERS:
        raise ConfigError(
            f"FLASK_SMS_PROVIDER must be one of {', '.join(SMS_PROVIDERS)}, not {provider!r}."
        )
    try:
        timeout = float(config["SMS_TIMEOUT"])
    except (TypeError, ValueError):
        timeout = 0
    if not 0 < timeout <= 120:
        raise ConfigError("FLASK_SMS_TIMEOUT must be a number of seconds from 0 to 120.")
    config["SMS_TIMEOUT"] = timeout
    if provider == "twilio":
        _require(config, "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", why="for the twilio provider")
        if not (config.get("SMS_FROM") or config.get("TWILIO_MESSAGING_SERVICE_SID")):
            raise ConfigError(
                "The twilio provider needs FLASK_SMS_FROM (a Twilio number) "
                "or FLASK_TWILIO_MESSAGING_SERVICE_SID."
            )
    if provider == "gateway":
        _require(config, "SMS_GATEWAY_URL", why="for the gateway provider")
        if not str(config["SMS_GATEWAY_URL"]).startswith(("https://", "http://")):
            raise ConfigError("FLASK_SMS_GATEWAY_URL must be an http:// or https:// URL.")
        secret = config.get("SMS_GATEWAY_SECRET")
        if secret and len(str(secret)) < 32:
            raise ConfigError("FLASK_SMS_GATEWAY_SECRET must be at least 32 characters long.")


def _require(config, *keys: str, why: str) -> None:
    missing = [key for key in keys if not config.get(key)]
    if missing:
        names = " and ".join(f"FLASK_{key}" for key in missing)
        raise ConfigError(f"Latchkey needs {names} {why}.")
