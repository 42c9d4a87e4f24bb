"""WSGI entry point: `flask --app wsgi run`, or any WSGI server with wsgi:app."""

import sys

from app import create_app
from app.config import ConfigError

try:
    app = create_app()
except ConfigError as error:  # one clear line instead of a traceback
    print(f"latchkey: {error}", file=sys.stderr)
    raise SystemExit(2) from None
