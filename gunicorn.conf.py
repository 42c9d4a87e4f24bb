"""gunicorn reads this file from the folder it starts in (`gunicorn wsgi:app`).

The settings live in the package, app/gunicorn_settings.py, so an installed
Latchkey uses the same ones from any folder:
`gunicorn -c python:app.gunicorn_settings wsgi:app`.
"""

from app.gunicorn_settings import *  # noqa: F403
from app.gunicorn_settings import on_starting, worker_exit  # noqa: F401  (hooks gunicorn looks up)
