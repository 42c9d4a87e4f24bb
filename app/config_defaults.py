"""Configuration defaults and the keys read from the environment as booleans or
whole numbers (app/config.py loads and checks them)."""

from __future__ import annotations

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
    "MANAGEMENT_RATE_LIMIT": "10 per second",  # Management API calls per m2m client
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
    # The account page changes an account only within this many seconds of a sign-in
    # (or of a code that confirms it is still the same person).
    "ACCOUNT_FRESH_SECONDS": 600,
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

BOOL_KEYS = (
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
INT_KEYS = (
    "FAILED_CODE_LIMIT",
    "FAILED_CODE_DELAY",
    "ACCOUNT_FAILURE_LIMIT",
    "ACCOUNT_LOCK_DELAY",
    "ACCOUNT_LOCK_MAX_DELAY",
    "ACCOUNT_LOCK_NOTICE_INTERVAL",
    "TRUSTED_PROXIES",
    "SSO_IDLE_TIMEOUT",
    "SSO_ABSOLUTE_TIMEOUT",
    "ACCOUNT_FRESH_SECONDS",
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
