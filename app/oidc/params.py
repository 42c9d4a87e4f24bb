"""What the protocol accepts: scopes and authorize parameters."""

OTP_GRANT_TYPE = "http://auth0.com/oauth/grant-type/passwordless/otp"  # Auth0's
CLIENT_CREDENTIALS = "client_credentials"  # management (m2m) clients only
GRANT_TYPES_SUPPORTED = ("authorization_code", "refresh_token", OTP_GRANT_TYPE, CLIENT_CREDENTIALS)
# No `profile`: Latchkey knows no name, picture or the like. An app asking for it
# still signs in; the scope is left out of what is granted.
SCOPES_SUPPORTED = ["openid", "email", "phone", "offline_access"]
# How the authorization response reaches the app; each new mode is added here.
RESPONSE_MODES_SUPPORTED = ("query",)
AUTHORIZE_PARAMS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "prompt",
    "max_age",
    "ui_locales",
    "login_hint",
    "connection",
    "response_mode",
)

PARAM_LIMITS = {
    "client_id": 8000,  # longer than any client_id: reported as unknown
    "redirect_uri": 2000,
    "scope": 1000,
    "state": 2000,
    "nonce": 512,
    "code_challenge": 2000,  # its exact form is PKCE's own check
    "login_hint": 320,
    "ui_locales": 100,
    "prompt": 100,
}


def oversized_param(args) -> str | None:
    """The first authorize parameter longer than this server accepts, if any."""
    for name in AUTHORIZE_PARAMS:
        for value in args.getlist(name):
            if len(value) > PARAM_LIMITS.get(name, 100):
                return name
    return None


def authorize_params(args) -> dict[str, str]:
    """The authorize request's known parameters, kept on the login ticket."""
    return {k: args.get(k) for k in AUTHORIZE_PARAMS if args.get(k) is not None}
