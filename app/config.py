"""Configuration: defaults, then FLASK_* environment, then checks at start."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask

from app import at_rest

DEFAULTS: dict[str, object] = {
    "SQLALCHEMY_DATABASE_URI": None,  # filled in from the instance folder
    # SQL logs never show bound values (a rendered message holds its code).
    "SQLALCHEMY_ENGINE_OPTIONS": {"hide_parameters": True},
    "ISSUER": None,
    # Cookies and forms
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "WTF_CSRF_TIME_LIMIT": 3600,
    # Pages send Referrer-Policy: no-referrer, so browsers post forms with no Referer;
    # Flask-WTF's HTTPS Referer check would refuse every post. The CSRF token (tied to
    # a SameSite=Lax, __Host- session cookie under HTTPS) is the defence.
    "WTF_CSRF_SSL_STRICT": False,
    "MAX_CONTENT_LENGTH": 64 * 1024,
    "BINDING_COOKIE_NAME": None,  # __Host-latchkey_binding under HTTPS
    # Codes and tickets (connection settings override per connection)
    "AUTHORIZATION_CODE_TTL": 60,
    "ACCESS_TOKEN_TTL": 3600,
    "ID_TOKEN_TTL": 3600,
    # Management API access tokens (client_credentials of an m2m client): seconds
    "MANAGEMENT_TOKEN_TTL": 600,
    # Refresh tokens (scope offline_access): unused this long, or this long after
    # the sign-in, they stop working (Auth0's defaults: 15 and 30 days)
    "REFRESH_TOKEN_IDLE": 15 * 24 * 3600,
    "REFRESH_TOKEN_ABSOLUTE": 30 * 24 * 3600,
    "AUTHORIZE_REQUEST_MAX_AGE": 3600,
    # Delivery
    "EMAIL_PROVIDER": None,  # "smtp" or "dev"; dev by default in debug
    "MAIL_SERVER": "localhost",
    "MAIL_PORT": 25,
    "MAIL_USE_TLS": False,
    "MAIL_USE_SSL": False,
    "MAIL_USERNAME": None,
    "MAIL_PASSWORD": None,
    "MAIL_DEFAULT_SENDER": "Latchkey <no-reply@localhost>",
    "MAIL_TIMEOUT": 10,
    "MAIL_KEEPALIVE": 30,  # seconds a dispatcher thread keeps an idle SMTP connection open
    # SMS: "twilio", "gateway" or "dev" (dev by default in debug); unset = no SMS
    "SMS_PROVIDER": None,
    "SMS_FROM": None,
    "SMS_TIMEOUT": 30,
    "TWILIO_ACCOUNT_SID": None,
    "TWILIO_AUTH_TOKEN": None,
    "TWILIO_MESSAGING_SERVICE_SID": None,
    "TWILIO_API_BASE_URL": "https://api.twilio.com",
    "SMS_GATEWAY_URL": None,
    "SMS_GATEWAY_SECRET": None,
    "SMS_GATEWAY_SUBJECT": None,
    "SMS_GATEWAY_AUDIENCE": None,
    "SMS_GATEWAY_FORWARD_REQUEST_INFO": False,
    "SMS_MOBILE_ONLY": True,
    # SMS-fraud limits (limits' notation; several separated by ';')
    "SMS_NUMBER_RATE_LIMIT": "3 per 10 minutes; 10 per day",
    "SMS_PREFIX_RATE_LIMIT": "30 per hour",
    "SMS_IP_RATE_LIMIT": "10 per hour",
    "DEV_OUTBOX": False,  # debug and testing only: refused at start otherwise
    "DISPATCHER_THREAD": True,
    "DISPATCH_MAX_TRIES": 8,
    "DISPATCH_POLL_SECONDS": 5.0,
    # Secrets at rest (app/at_rest.py): Fernet keys, newest first; derived in debug
    "KEY_ENCRYPTION_KEYS": None,
    # Housekeeping (app/housekeeping.py): what `flask purge` and dispatchers delete
    "RETAIN_TICKETS_DAYS": 31,  # login tickets after they expire (`sms stats` reads them)
    "RETAIN_EXPIRED_DAYS": 1,  # authorization codes, access tokens, sessions after they end
    "RETAIN_MESSAGES_DAYS": 7,  # sent and failed outbox rows (no content; troubleshooting)
    "RETAIN_EVENTS_DAYS": 90,  # audit events
    "PURGE_INTERVAL": 600,  # seconds between a dispatcher's purges (0: never)
    "DISPATCH_THREADS": 4,  # sender threads per dispatcher (web process or `outbox work`)
    "DISPATCH_LEASE_SECONDS": 300,  # a claim held longer (its process died) is taken again
    "DISPATCH_JITTER": 0.25,  # retry delays grow by a random share of up to this
    # Pages
    "DEFAULT_THEME": "lock",
    "PREVIEW_PASSWORD": None,  # enables /preview outside debug, behind HTTP Basic auth
    "DEMO": False,
    # Lock's /user/geoloc/country: a request header the operator's proxy sets to the
    # visitor's ISO country (CF-IPCountry, CloudFront-Viewer-Country, …); None = not read
    "GEOLOC_COUNTRY_HEADER": None,
    # Rate limits (Flask-Limiter)
    "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_HEADERS_ENABLED": False,  # 429s set Retry-After themselves
    "RATELIMIT_KEY_PREFIX": "latchkey",
    "START_RATE_LIMIT": "50 per hour",  # starts per IP address (Auth0's default)
    "VERIFY_RATE_LIMIT": "100 per hour",  # code checks per IP address
    "LINK_RENEW_RATE_LIMIT": "3 per hour",  # "send a new link", per link
    "RECIPIENT_RATE_LIMIT": "5 per 15 minutes",  # starts per email address or phone number
    "FAILED_CODE_LIMIT": 10,  # wrong codes per identifier and IP before a growing delay
    "FAILED_CODE_DELAY": 60,  # seconds of the first delay; doubles with each further failure
    "ACCOUNT_FAILURE_LIMIT": 100,  # consecutive wrong codes per account (NIST SP 800-63B)
    "ACCOUNT_LOCK_DELAY": 900,  # seconds of the first account lock; doubles with each further
    "ACCOUNT_LOCK_MAX_DELAY": 86400,  # the longest account lock, seconds
    "ACCOUNT_LOCK_NOTICE_INTERVAL": 86400,  # at most one "sign-in paused" email per this
    "TRUSTED_PROXIES": 0,  # proxies in front whose X-Forwarded-For is believed
    # Enumeration
    "SIGNUP_DISABLED_ERROR": False,  # say "sign-up is disabled" (Auth0-style) instead of silence
    "NOTIFY_UNKNOWN_RECIPIENT": False,  # email an unknown address that there is no account
    # SSO session
    "SSO_IDLE_TIMEOUT": 3 * 24 * 3600,
    "SSO_ABSOLUTE_TIMEOUT": 7 * 24 * 3600,
    "HSTS_MAX_AGE": 365 * 24 * 3600,
    # Magic links: how long a sign-in handed to another device waits for the
    # app's initiate-login flow to come back to /authorize
    # Post-login hooks (app/signin/hooks.py): dotted paths, comma-separated; seconds each
    # may take; the header where the proxy names the request's country (e.g. CF-IPCountry)
    "POST_LOGIN_HOOKS": "",
    "POST_LOGIN_HOOK_TIMEOUT": 5,
    "POST_LOGIN_COUNTRY_HEADER": None,
    # Babel
    "BABEL_DEFAULT_LOCALE": "en",
    # Logs: "json" (one object a line on stdout, with a request id) or "text";
    # None = json outside debug
    "LOG_FORMAT": None,
}

_BOOL_KEYS = (
    "DEV_OUTBOX",
    "DEMO",
    "DISPATCHER_THREAD",
    "MAIL_USE_TLS",
    "MAIL_USE_SSL",
    "SMS_GATEWAY_FORWARD_REQUEST_INFO",
    "SMS_MOBILE_ONLY",
    "SIGNUP_DISABLED_ERROR",
    "NOTIFY_UNKNOWN_RECIPIENT",
)
_INT_KEYS = (
    "FAILED_CODE_LIMIT",
    "FAILED_CODE_DELAY",
    "ACCOUNT_FAILURE_LIMIT",
    "ACCOUNT_LOCK_DELAY",
    "ACCOUNT_LOCK_MAX_DELAY",
    "ACCOUNT_LOCK_NOTICE_INTERVAL",
    "TRUSTED_PROXIES",
    "SSO_IDLE_TIMEOUT",
    "SSO_ABSOLUTE_TIMEOUT",
    "HSTS_MAX_AGE",
    "REFRESH_TOKEN_IDLE",
    "REFRESH_TOKEN_ABSOLUTE",
    "RETAIN_TICKETS_DAYS",
    "RETAIN_EXPIRED_DAYS",
    "RETAIN_MESSAGES_DAYS",
    "RETAIN_EVENTS_DAYS",
    "PURGE_INTERVAL",
    "DISPATCH_THREADS",
    "DISPATCH_LEASE_SECONDS",
)
SMS_PROVIDERS = ("twilio", "gateway", "dev")


class ConfigError(RuntimeError):
    """Raised at start when the configuration cannot run safely."""


def load(app: Flask, test_config: dict | None) -> None:
    """Fill app.config from defaults, the FLASK_* environment and test overrides."""
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env()
    if test_config:
        app.config.from_mapping(test_config)
    for key in _BOOL_KEYS:
        app.config[key] = _as_bool(app.config.get(key))
    for key in _INT_KEYS:
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
        app.config["ISSUER"] = "http://127.0.0.1:5000"
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
    app.config["ISSUER"] = str(app.config["ISSUER"]).rstrip("/")
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
