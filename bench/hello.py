"""The bare Flask page the load benchmark serves beside Latchkey, the same way
(gunicorn, same settings): `gunicorn --pythonpath bench hello:app`."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    """The least a Flask page can do."""
    return "Hello, World!"


@app.get("/healthz")
def healthz():
    """What the benchmark waits for before it starts."""
    return {"status": "ok"}
