"""gunicorn settings for Latchkey in production.

`gunicorn wsgi:app` in a checkout reads ./gunicorn.conf.py, which takes these; from
any other folder (an installed Latchkey): `gunicorn -c python:app.gunicorn_settings
wsgi:app`. Command-line flags win over them (`-b`, `-w`, `-k`, `--threads`). See
README, "Running in production", and docs/benchmarks.md for the measurements behind
the worker class.
"""

from __future__ import annotations

import multiprocessing
import os

# Behind a TLS-terminating proxy on the same host; set `-b 0.0.0.0:8000` (or a unix
# socket) when the proxy is elsewhere.
bind = os.environ.get("LATCHKEY_BIND", "127.0.0.1:8000")
# One process per core (WEB_CONCURRENCY overrides): pages spend their time on CPU
# (templates, hashing, signing), so more processes than cores only queue, and each
# costs memory: after a run of sign-ins a worker holds about 46 MiB of its own (USS;
# PSS 55-60 MiB, RSS 95-98 MiB counting the pages it shares with the master).
# `bench/load.py --workers 2,3,4,4,3,2` on 2 cores (an overloaded machine, load
# average ~20, so rough): 2 workers gave the best rates of the run, hosted page 138
# and 201 req/s against 44 and 72 (3 workers) and 50 and 103 (4), sign-ins 3.4 and
# 7.3/s against 2.6 and 6.5 (3) and 4.7 and 4.7 (4).
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count()))
# Threads keep a worker answering while one request waits on the database or Redis,
# and a slow client cannot hold a whole process (as it can a sync worker's). The load
# benchmark finds gthread and sync at about the same page rate (0.93x to 1.36x over
# four runs on a shared 2-core machine), so robustness decides. Threads cost little
# memory (measured after 15 s of sign-ins): 2 threads instead of 4 saved about 1 MiB
# of a worker's RSS, and MALLOC_ARENA_MAX=1 (no per-thread malloc arenas; 9 without
# it) 1.5 MiB (96 against 97.5), so neither is limited here.
worker_class = "gthread"
threads = int(os.environ.get("LATCHKEY_THREADS", "4"))
timeout = 30
# On SIGTERM: stop taking requests, finish those in flight and let each worker's
# dispatcher finish the messages it claimed, for up to this long.
graceful_timeout = 30
keepalive = 5
# Each worker builds its own app (database pools and the dispatcher thread do not
# survive a fork).
preload_app = False
# Latchkey writes its own JSON access lines with the request id (FLASK_LOG_FORMAT);
# gunicorn's own notices go to stderr.
accesslog = None
errorlog = "-"
loglevel = "info"
# gunicorn 27's control socket sits at one path per user (~/.gunicorn/): several
# instances on one host would fight over it, and Latchkey needs none.
control_socket_disable = True
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"  # heartbeat files off a possibly slow disk


def worker_exit(server, worker) -> None:
    """Stop this worker's outbox dispatcher thread gracefully: it finishes the pass it
    is in (messages it claimed are sent or released) before the process ends."""
    from app.delivery import dispatcher

    app = getattr(worker, "wsgi", None)
    extensions = getattr(app, "extensions", None) or {}
    thread = extensions.get(dispatcher.EXTENSION_KEY)
    if thread is not None:
        thread.stop(timeout=graceful_timeout)
        server.log.info("worker %s: outbox dispatcher stopped", worker.pid)


# Modules every worker imports (create_app's, and the PostgreSQL and Redis drivers
# when the environment configures them), imported once in the master before it forks:
# their pages are then shared copy-on-write by the workers instead of copied into each
# one. Only modules: no app, pool, socket or thread exists in the master (preload_app
# stays off). Measured (bench/load.py, 2 gthread workers after 15 s of sign-ins on
# PostgreSQL): each worker's PSS 78 -> 59 MiB (71 and 60 without gc.freeze), its RSS
# 101-102 -> 97-98 MiB; the master's RSS 69 -> 95 MiB, PSS 45 -> 51. So new code needs
# a new master (`kill -USR2`, or a restart), not a HUP (README, "Serve with gunicorn");
# it did already, as reading these settings imports the app package.
SHARED_MODULES = (
    "app.web",
    "app.cli",
    "app.oidc",
    "app.logs",
    "app.json_logs",
    "app.accounts.sessions",
    "app.signin.hooks",
    "app.delivery.dispatcher",
)
# A worker on SQLite with limits in memory never imports these (about 12 MiB).
DRIVERS = {
    "psycopg": ("FLASK_SQLALCHEMY_DATABASE_URI", "postgresql"),
    "redis": ("FLASK_RATELIMIT_STORAGE_URI", "redis"),
}


def on_starting(server) -> None:
    """In the master, before any worker forks: import SHARED_MODULES and the configured
    DRIVERS, then freeze the objects made so far (gc.freeze), so that the workers'
    garbage collections never write to those shared pages."""
    import gc
    import importlib

    drivers = [name for name, (key, scheme) in DRIVERS.items() if _configured(key, scheme)]
    for name in (*SHARED_MODULES, *drivers):
        importlib.import_module(name)
    gc.freeze()


def _configured(key: str, scheme: str) -> bool:
    return os.environ.get(key, "").strip().lower().startswith(scheme)
