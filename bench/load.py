"""Load benchmark: Latchkey under gunicorn (2 workers) beside a bare Flask page,
driven by Locust headless on loopback. Prints the figures and writes
docs/benchmarks.md. Figures, not pass/fail; bounded in time (9 to 12 minutes).

    make bench            # or: .venv/bin/python bench/load.py [--seconds 20] [--users 8]
    .venv/bin/python bench/load.py --workers 2,3,4   # only pages and sign-ins per
                                                     # worker count; prints, writes nothing

What runs: PostgreSQL (a database of its own, dropped after), Redis (limits, under a
prefix of its own), a local SMTP server (bench/mail_sink.py), gunicorn with
app/gunicorn_settings.py, with this checkout's code (PYTHONPATH). Phases:
1. the hosted page and the hello page, each alone, with gthread and with sync workers;
2. full sign-ins with an SMTP server that answers at once, then one that holds each
   reply 500 ms; server CPU per sign-in from /proc/<pid>/stat of the workers;
3. sign-ins started at a fixed rate (open loop) with each SMTP server;
4. full sign-ins again once the users, identities and tickets tables hold 1,000,000
   rows each (bulk SQL), to compare the verify step with the ~1,000 of phase 2;
5. memory of each worker at the end: resident (RSS), proportional (PSS) and unique
   (USS) sizes, as the workers share the pages of the modules the master imported;
and first, CPU per sign-in step in one process (bench/cpu_ratio.py).
The part of docs/benchmarks.md below MARKER (profile findings) is kept.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from installed import Gunicorn, flask, operator_env  # noqa: E402
from smtp_server import free_port  # noqa: E402

BIN = Path(sys.executable).parent
POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
CALLBACK = "http://127.0.0.1:9/callback"
TICKS = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
# Open-loop runs: each paced user starts a sign-in every PACING seconds.
PACING = 4.0
# One deployment's keys for every server of the run: they share the database, so a
# server with another FLASK_KEY_ENCRYPTION_KEYS could not open the signing keys.
SECRET_KEY = secrets.token_urlsafe(32)
KEY_ENCRYPTION_KEY = Fernet.generate_key().decode()


# --- processes ----------------------------------------------------------------------


@contextmanager
def postgres_database(product: str = "latchkey"):
    """A database of this run's own, dropped at the end."""
    name = f"{product}_bench_{os.getpid()}"
    with psycopg.connect(POSTGRES, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}", name
    finally:
        with psycopg.connect(POSTGRES, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@contextmanager
def mail_sink(maildir: Path, delay: float):
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "mail_sink.py"), "--port", str(port)]
        + ["--maildir", str(maildir), "--delay", str(delay)]
    )
    try:
        wait_for_port(port)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


def wait_for_port(port: int, timeout: float = 30) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of these processes so far (their threads included)."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)
    return total / TICKS


def rss_mib(pid: int) -> float:
    pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    return pages * PAGE_SIZE / 2**20


def shared_mib(pid: int) -> tuple[float, float]:
    """(PSS, USS) MiB from /proc/<pid>/smaps_rollup: the proportional set size counts
    each page shared with the master or the other workers by its share (RSS counts it
    whole in each process); the unique set size only the pages this process alone holds."""
    fields = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, value = line.split()[:2]
        fields[name.rstrip(":")] = int(value) / 1024
    return fields["Pss"], fields["Private_Clean"] + fields["Private_Dirty"]


def memory(pids: list[int]) -> list[tuple[float, float, float]]:
    """(RSS, PSS, USS) MiB of each process."""
    return [(rss_mib(pid), *shared_mib(pid)) for pid in pids]


# --- Locust -------------------------------------------------------------------------


def locust(
    user: str,
    url: str,
    users: int,
    seconds: int,
    env: dict[str, str],
    out: Path,
    spawn_rate: float | None = None,
    stop_timeout: int = 0,
) -> dict:
    """Run one Locust user class headless; its stats rows by 'TYPE name'. All users
    start at once unless `spawn_rate` (users per second) spreads them out; with
    `stop_timeout`, sign-ins in flight at the end may finish (and count)."""
    prefix = out / f"{user}-{secrets.token_hex(3)}"
    subprocess.run(
        [str(BIN / "locust"), "-f", str(ROOT / "bench" / "locustfile.py"), "--headless"]
        + ["-u", str(users), "-r", f"{spawn_rate or users:g}", "-t", f"{seconds}s", "-H", url]
        + ["--csv", str(prefix), "--only-summary", "--loglevel", "ERROR"]
        + (["--stop-timeout", str(stop_timeout)] if stop_timeout else [])
        + [user],
        env={**os.environ, **env},
        check=False,  # Locust exits 1 when any request failed; the failures are reported
        stdout=subprocess.DEVNULL,
        stderr=(out / f"{user}.log").open("ab"),
        timeout=seconds + stop_timeout + 60,
    )
    with open(f"{prefix}_stats.csv", newline="") as stats:
        rows = {f"{row['Type']} {row['Name']}": row for row in csv.DictReader(stats)}
    if len(rows) < 2:  # only the Aggregated row: nothing was measured
        raise RuntimeError(f"Locust measured nothing for {user}; see {prefix}_*.csv")
    return rows


def rate(row: dict) -> float:
    return float(row["Requests/s"])


def pct(row: dict, which: str) -> str:
    return row[which] if row and row.get(which) not in (None, "", "N/A") else "–"


# --- seeding ------------------------------------------------------------------------


SEED_SQL = """
INSERT INTO users (sub, blocked, failed_logins, created_at)
  SELECT 'seed-' || g, false, 0, now() FROM generate_series(%(first)s::int, %(last)s::int) g;
INSERT INTO identities (user_id, connection, value, verified, created_at)
  SELECT u.id, 'email', 'seed' || g || '@seed.example', true, now()
  FROM generate_series(%(first)s::int, %(last)s::int) g JOIN users u ON u.sub = 'seed-' || g;
INSERT INTO login_tickets (id, connection, recipient, client_pk, authorize_params, code_hash,
                           binding_hash, created_at, expires_at, failed_attempts, max_attempts,
                           deliver, consumed_at)
  SELECT 'seed-' || g, 'email', 'seed' || g || '@seed.example', %(client)s, '{}',
         md5(g::text) || md5('c' || g), md5('b' || g) || md5(g::text),
         now() - interval '1 day', now() - interval '1 day' + interval '5 minutes', 0, 3,
         true, now() - interval '1 day'
  FROM generate_series(%(first)s::int, %(last)s::int) g;
"""


def seed(database: str, first: int, last: int) -> float:
    """Users, identities and used tickets numbered first..last; seconds taken."""
    began = time.perf_counter()
    with psycopg.connect(POSTGRES.rsplit("/", 1)[0] + "/" + database) as conn:
        client = conn.execute("SELECT id FROM clients ORDER BY id LIMIT 1").fetchone()[0]
        for statement in filter(str.strip, SEED_SQL.split(";")):
            conn.execute(statement, {"first": first, "last": last, "client": client})
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE users, identities, login_tickets")
    return time.perf_counter() - began


def reset_table_stats(database: str) -> None:
    with psycopg.connect(POSTGRES.rsplit("/", 1)[0] + "/" + database) as conn:
        conn.execute("SELECT pg_stat_reset()")


def sequential_scans(database: str) -> list[tuple]:
    """Tables read by sequential scans since the reset, most rows read first: a lookup
    that grows with the table shows up here."""
    time.sleep(1)  # statistics reach the collector within about a second
    with psycopg.connect(POSTGRES.rsplit("/", 1)[0] + "/" + database) as conn:
        return conn.execute(
            "SELECT relname, seq_scan, seq_tup_read, coalesce(idx_scan, 0) "
            "FROM pg_stat_user_tables WHERE seq_tup_read > 0 "
            "ORDER BY seq_tup_read DESC LIMIT 6"
        ).fetchall()


def row_counts(database: str) -> dict[str, int]:
    with psycopg.connect(POSTGRES.rsplit("/", 1)[0] + "/" + database) as conn:
        return {
            table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("users", "identities", "login_tickets")
        }


# --- the run ------------------------------------------------------------------------


def latchkey_env(database_uri: str, port: int, mail_port: int) -> dict[str, str]:
    # PYTHONPATH: this checkout's code, not whatever the venv's editable install points at.
    return {"PYTHONPATH": str(ROOT)} | operator_env(
        SECRET_KEY=SECRET_KEY,
        KEY_ENCRYPTION_KEYS=KEY_ENCRYPTION_KEY,
        ISSUER=f"http://127.0.0.1:{port}",
        SQLALCHEMY_DATABASE_URI=database_uri,
        EMAIL_PROVIDER="smtp",
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=str(mail_port),
        RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379",
        RATELIMIT_KEY_PREFIX=f"bench{os.getpid()}",
        # Every request comes from 127.0.0.1: per-IP limits far above the load.
        START_RATE_LIMIT="1000000 per hour",
        VERIFY_RATE_LIMIT="1000000 per hour",
        # http:// on loopback: let the load generator send the binding cookie back.
        BINDING_COOKIE_SECURE="false",
    )


def measure_pages(args, work: Path, database: str, client: dict, results: dict) -> None:
    """Hosted page and hello page, each alone, with each worker class, interleaved and
    repeated (`--page-repeats`); the run with the median page rate is kept per class."""
    runs: dict[str, list[tuple[dict, dict]]] = {"gthread": [], "sync": []}
    for _ in range(args.page_repeats):
        for worker_class in runs:
            runs[worker_class].append(page_and_hello(args, work, database, client, worker_class))
    for worker_class, pairs in runs.items():
        pairs.sort(key=lambda pair: rate(pair[0]))
        page, hello = pairs[len(pairs) // 2]
        results[f"page {worker_class}"], results[f"hello {worker_class}"] = page, hello
        results[f"page rates {worker_class}"] = [rate(page) for page, _ in pairs]
        results[f"ratios {worker_class}"] = sorted(rate(p) / rate(h) for p, h in pairs)


def page_and_hello(args, work: Path, database: str, client: dict, worker_class: str):
    """One hosted-page run and one hello run under `-k worker_class`: their stats rows."""
    extra = ("-k", worker_class)
    hello_port = free_port()
    bench_path = ("--pythonpath", str(ROOT / "bench"))
    with Gunicorn(
        BIN, work, operator_env(), hello_port, 2, "hello:app", extra + bench_path
    ) as hello:
        stats, cpu, _ = under_load(hello, "HelloUser", args.page_users, args.page_seconds, {}, work)
        hello_row = with_cpu(stats["GET hello"], cpu)
    return measure_page(args, work, database, client, 2, extra), hello_row


def measure_page(args, work: Path, database: str, client: dict, workers: int, extra=()) -> dict:
    """The hosted page alone against a fresh gunicorn: its stats row, with server CPU."""
    port = free_port()
    env = latchkey_env(database, port, 25)
    with Gunicorn(BIN, work, env, port, workers, extra=extra) as server:
        stats, cpu, _ = under_load(
            server, "PageUser", args.page_users, args.page_seconds, locust_env(client, work), work
        )
    return with_cpu(stats["GET hosted page"], cpu)


def under_load(server, user: str, users: int, seconds: int, env: dict, work: Path, **options):
    """Locust's `user` against a running gunicorn: its stats rows, the CPU seconds its
    master and workers spent, and each worker's memory at the end."""
    pids = [server.process.pid, *server.worker_pids()]
    before = cpu_seconds(pids)
    stats = locust(user, server.url, users, seconds, env, work, **options)
    return stats, cpu_seconds(pids) - before, memory(server.worker_pids())


def sign_in_result(stats: dict, cpu: float, rss: list) -> dict:
    """A sign-in run's figures: its stats, server CPU per completed sign-in, memory."""
    flow = stats["FLOW sign-in"]
    done = int(flow["Request Count"]) - int(flow["Failure Count"])
    return {"stats": stats, "cpu_ms": cpu * 1000 / max(done, 1), "rss": rss, "done": done}


def with_cpu(row: dict, cpu: float) -> dict:
    """A Locust stats row with the server's CPU ms per request added ("cpu_ms")."""
    return {**row, "cpu_ms": cpu * 1000 / max(int(row["Request Count"]), 1)}


def locust_env(client: dict, work: Path) -> dict[str, str]:
    return {
        "LK_CLIENT_ID": client["client_id"],
        "LK_CLIENT_SECRET": client["client_secret"],
        "LK_CALLBACK": CALLBACK,
        "LK_MAILDIR": str(work / "mail"),
    }


def measure_sign_ins(
    args, work: Path, database: str, client: dict, delay: float, workers: int = 2, extra=()
) -> dict:
    """Full sign-ins against a fresh gunicorn; the SMTP server holds replies `delay` s.
    Also the master's memory at the end, under "master"."""
    with mail_sink(work / "mail", delay) as mail_port:
        port = free_port()
        env = latchkey_env(database, port, mail_port)
        with Gunicorn(BIN, work, env, port, workers, extra=extra) as server:
            run = under_load(
                server, "SignInUser", args.users, args.seconds, locust_env(client, work), work
            )
            master = memory([server.process.pid])
    return sign_in_result(*run) | {"master": master}


def measure_open_loop(args, work: Path, database: str, client: dict, delay: float, rate: float):
    """Sign-ins started at a fixed rate (open loop): `users` paced users, each starting
    one every PACING seconds, ramped up over one pacing period. The server's throughput
    holds when the completed rate stays at the offered one whatever the SMTP delay."""
    users = max(2, round(rate * PACING))
    with mail_sink(work / "mail", delay) as mail_port:
        port = free_port()
        env = latchkey_env(database, port, mail_port)
        with Gunicorn(BIN, work, env, port, 2) as server:
            run = under_load(
                server,
                "PacedSignInUser",
                users,
                args.seconds,
                {**locust_env(client, work), "LK_PACING": str(PACING)},
                work,
                spawn_rate=users / PACING,
                stop_timeout=10,
            )
    return sign_in_result(*run) | {
        "offered": users / PACING,
        "users": users,
    }


def measure_fst(args, work: Path) -> dict:
    """Flask-Security-Too's email-code sign-in served the same way, on its own database."""
    with postgres_database("fst") as (database_uri, _), mail_sink(work / "mail", 0.0) as mail_port:
        env = operator_env(
            SECRET_KEY=secrets.token_urlsafe(32),
            SQLALCHEMY_DATABASE_URI=database_uri,
            MAIL_SERVER="127.0.0.1",
            MAIL_PORT=str(mail_port),
        )
        subprocess.run(
            [sys.executable, str(ROOT / "bench" / "fst_app.py"), "seed", str(args.fst_users)],
            env=env,
            check=True,
            timeout=600,
        )
        port = free_port()
        bench_path = ("--pythonpath", str(ROOT / "bench"))
        with Gunicorn(BIN, work, env, port, 2, "fst_app:app", bench_path) as server:
            run = under_load(
                server,
                "FstUser",
                args.users,
                args.seconds,
                {"LK_MAILDIR": str(work / "mail"), "LK_FST_USERS": str(args.fst_users)},
                work,
            )
    return sign_in_result(*run)


def sweep_workers(args) -> str:
    """`--workers 2,3,4`: the hosted page alone, then full sign-ins (SMTP answering at
    once), under each worker count and `--worker-class`; a table of rates, server CPU
    and each process's memory at the end. Printed only (docs/benchmarks.md is kept)."""
    counts = [int(n) for n in args.workers.split(",")]
    extra = ("-k", args.worker_class)
    rows = []
    with (
        tempfile.TemporaryDirectory(prefix="latchkey-bench-") as folder,
        postgres_database() as (database_uri, database),
    ):
        work = Path(folder)
        client = set_up(work, database_uri, database)
        for workers in counts:
            print(f"{workers} workers ({args.worker_class})…", flush=True)
            page = measure_page(args, work, database_uri, client, workers, extra)
            run = measure_sign_ins(args, work, database_uri, client, 0.0, workers, extra)
            flow = run["stats"]["FLOW sign-in"]
            rows.append(
                f"| {workers} | {rate(page):.0f} | {page['cpu_ms']:.2f} | {rate(flow):.2f} | "
                f"{pct(flow, '50%')} / {pct(flow, '95%')} | {run['cpu_ms']:.0f} | "
                f"{flow['Failure Count']} | {memory_text(run['rss'])} | "
                f"{memory_text(run['master'])} |"
            )
    return "\n".join(
        [
            f"Workers ({args.worker_class}, {os.cpu_count()} cores, load average "
            f"{os.getloadavg()[0]:.1f} at the end): hosted page {args.page_users} users "
            f"{args.page_seconds} s; sign-ins {args.users} users {args.seconds} s.",
            "",
            "| workers | page req/s | page CPU ms | sign-ins/s | p50 / p95 ms | CPU ms per "
            "sign-in | failed | each worker RSS (PSS, USS) MiB | master RSS (PSS, USS) MiB |",
            "|---|---|---|---|---|---|---|---|---|",
            *rows,
        ]
    )


def set_up(work: Path, database_uri: str, database: str) -> dict:
    """Migrate the run's database, create the bench client, seed 1,000 users; the client."""
    env = latchkey_env(database_uri, 5000, 25)
    flask(BIN, work, env, "db", "upgrade")
    client = json.loads(
        flask(
            BIN, work, env, "clients", "create", "--name", "Bench", "--callback", CALLBACK, "--json"
        )
    )
    seed(database, 1, 1_000)
    return client


def run(args) -> dict:
    results: dict = {"started": datetime.now(UTC), "load": os.getloadavg()}
    with (
        tempfile.TemporaryDirectory(prefix="latchkey-bench-") as folder,
        postgres_database() as (database_uri, database),
    ):
        work = Path(folder)
        print("CPU per step, in one process…", flush=True)
        subprocess.run(
            [sys.executable, str(ROOT / "bench" / "cpu_ratio.py"), "--sign-ins", "100"]
            + ["--output", str(work / "cpu.md")],
            check=True,
            stdout=subprocess.DEVNULL,
            timeout=900,
        )
        results["cpu_ratio"] = (work / "cpu.md").read_text()
        client = set_up(work, database_uri, database)
        print("pages…", flush=True)
        measure_pages(args, work, database_uri, client, results)
        print("sign-ins, SMTP answering at once…", flush=True)
        results["rows_small"] = row_counts(database)
        results["fast"] = measure_sign_ins(args, work, database_uri, client, 0.0)
        if args.fst_users:
            print("Flask-Security-Too email-code sign-ins…", flush=True)
            results["fst"] = measure_fst(args, work)
        print("sign-ins, SMTP holding each reply 500 ms…", flush=True)
        results["slow"] = measure_sign_ins(args, work, database_uri, client, 0.5)
        # Open loop at about half the closed-loop rate: well inside the server's capacity.
        offered = max(1.0, round(rate(results["fast"]["stats"]["FLOW sign-in"]) * 0.5))
        for name, delay in (("open fast", 0.0), ("open slow", 0.5)):
            print(f"open loop, {offered:g} sign-ins/s offered, SMTP delay {delay} s…", flush=True)
            results[name] = measure_open_loop(args, work, database_uri, client, delay, offered)
        print(f"seeding to {args.big_rows:,} rows…", flush=True)
        results["seed_big_s"] = seed(database, 1_001, args.big_rows)
        results["rows_big"] = row_counts(database)
        reset_table_stats(database)
        print("sign-ins on the big tables…", flush=True)
        results["big"] = measure_sign_ins(args, work, database_uri, client, 0.0)
        results["scans"] = sequential_scans(database)
    results["finished"] = datetime.now(UTC)
    return results


# --- the report ---------------------------------------------------------------------


def sign_in_lines(title: str, result: dict) -> list[str]:
    stats = result["stats"]
    flow, mail, verify = (
        stats.get(k) for k in ("FLOW sign-in", "MAIL code after page", "POST verify")
    )
    return [
        f"| {title} | {rate(flow):.2f} | {pct(flow, '50%')} / {pct(flow, '95%')} / "
        f"{pct(flow, '99%')} | {pct(verify, '50%')} / {pct(verify, '95%')} | "
        f"{pct(mail, '50%')} / {pct(mail, '95%')} | {result['cpu_ms']:.0f} | "
        f"{flow['Failure Count']} | {memory_text(result['rss'])} |"
    ]


def memory_text(memory: list[tuple[float, float, float]]) -> str:
    """Each process's "RSS (PSS, USS)" in MiB."""
    return " / ".join(f"{rss:.0f} ({pss:.0f}, {uss:.0f})" for rss, pss, uss in memory)


def fst_lines(results: dict) -> list[str]:
    """Latchkey beside Flask-Security-Too (FST's flow is shorter: no OIDC, no token)."""
    if "fst" not in results:
        return []
    ours, theirs = results["fast"], results["fst"]
    ratio = rate(ours["stats"]["FLOW sign-in"]) / max(rate(theirs["stats"]["FLOW sign-in"]), 1e-9)
    return [
        f"- Beside Flask-Security-Too (unified sign-in, email code, sent inside the request; "
        f"sign-in page → send code → code → signed in, no OIDC): Latchkey's full sign-in "
        f"costs {ours['cpu_ms'] / max(theirs['cpu_ms'], 1e-9):.2f}× FST's server CPU "
        f"({ours['cpu_ms']:.0f} ms against {theirs['cpu_ms']:.0f} ms) and runs at "
        f"{ratio:.2f}× its sign-ins/s.",
    ]


def open_loop_lines(results: dict) -> list[str]:
    fast, slow = results["open fast"], results["open slow"]
    rows = []
    for title, result in (("answers at once", fast), ("holds each reply 500 ms", slow)):
        stats = result["stats"]
        flow, mail = stats["FLOW sign-in"], stats.get("MAIL code after page")
        rows.append(
            f"| {title} | {result['offered']:.1f} ({result['users']} users) | {rate(flow):.2f} | "
            f"{pct(flow, '50%')} / {pct(flow, '95%')} / {pct(flow, '99%')} | "
            f"{pct(mail, '50%')} / {pct(mail, '95%')} | {result['cpu_ms']:.0f} | "
            f"{flow['Failure Count']} |"
        )
    held = rate(slow["stats"]["FLOW sign-in"]) / max(rate(fast["stats"]["FLOW sign-in"]), 1e-9)
    return [
        "## Open loop: sign-ins started at a fixed rate",
        "",
        "The closed-loop users above each wait for their own code before they start the "
        "next sign-in, so an SMTP server that holds each reply 500 ms puts those 500 ms "
        "in every user's loop: fewer sign-ins are *started*, whatever the server could do. "
        f"Here paced users each start one sign-in every {PACING:g} s (Locust's "
        "constant_pacing, ramped over one period), a fixed arrival rate of about half the "
        "closed-loop rate above, once with each SMTP server; sign-ins in flight when the "
        "run ends may finish (`--stop-timeout`), so each run counts what it started.",
        "",
        "| SMTP server | offered sign-ins/s | completed sign-ins/s | p50 / p95 / p99 | "
        "code in inbox after page p50 / p95 | CPU ms | failed |",
        "|---|---|---|---|---|---|---|",
        *rows,
        "",
        f"- At the same offered rate, completed sign-ins/s with the 500 ms SMTP server: "
        f"{held:.2f}× the rate with the immediate one (the server's throughput holds "
        "when this is near 1; the 500 ms shows in the latency instead).",
        "",
    ]


MARKER = "<!-- Written by hand below this line; bench/load.py keeps it. -->"


def kept_text(path: Path) -> str:
    """The hand-written part of the previous report (profile findings), kept as is."""
    if not path.exists():
        return ""
    _, found, after = path.read_text().partition(MARKER)
    return found + after if found else ""


def report(args, results: dict) -> str:
    fast, slow, big = results["fast"], results["slow"], results["big"]
    pages = []
    for worker_class in ("gthread", "sync"):
        hello, page = results[f"hello {worker_class}"], results[f"page {worker_class}"]
        rates = ", ".join(f"{r:.0f}" for r in results[f"page rates {worker_class}"])
        ratios = ", ".join(f"{r:.3f}" for r in results[f"ratios {worker_class}"])
        cpu_ratio = page["cpu_ms"] / max(hello["cpu_ms"], 1e-9)
        pages.append(
            f"| {worker_class} | {rate(hello):.0f} | {rate(page):.1f} ({rates}) | "
            f"{rate(page) / rate(hello):.3f} ({ratios}) | {pct(page, '50%')} / {pct(page, '95%')} "
            f"| {hello['cpu_ms']:.2f} / {page['cpu_ms']:.2f} ({cpu_ratio:.1f}×) |"
        )
    verify = {k: results[k]["stats"]["POST verify"] for k in ("fast", "big")}
    bare_ms = max(results["hello gthread"]["cpu_ms"], 1e-9)
    worker_gain = rate(results["page gthread"]) / max(rate(results["page sync"]), 1e-9)
    small, large = results["rows_small"], results["rows_big"]
    slowdown = rate(slow["stats"]["FLOW sign-in"]) / max(rate(fast["stats"]["FLOW sign-in"]), 1e-9)
    lines = [
        "# Benchmarks",
        "",
        "`make bench` (bench/load.py): Latchkey under gunicorn with 2 workers "
        "(app/gunicorn_settings.py) on PostgreSQL and Redis, a local SMTP server, "
        "driven by Locust headless on loopback, each beside a bare Flask page served "
        "the same way in the same run. Figures, not pass marks: read the ratios.",
        "",
        f"Run {results['started']:%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, "
        f"load average {results['load'][0]:.1f} at the start. **One run on a shared "
        "machine** (other sessions' tests may run at the same time) with the load "
        "generator on the same cores: absolute figures are low and noisy; compare runs "
        "of one machine, and read the ratios.",
        "",
        f"## Hosted page ({args.page_users} users, {args.page_seconds} s each, "
        f"{args.page_repeats} interleaved repeats)",
        "",
        "A first view of `/authorize` (the sign-in form), no cookies. The median run of "
        "each worker class (every run's figure in brackets).",
        "",
        "| worker class | hello req/s | hosted page req/s | ratio to hello | page p50 / p95 ms "
        "| server CPU ms per request: hello / page |",
        "|---|---|---|---|---|---|",
        *pages,
        "",
        f"Worker class: gthread's median hosted-page rate is {worker_gain:.2f}× sync's "
        "(app/gunicorn_settings.py uses gthread whatever this run says: at about the same "
        "rate it also keeps a worker answering while a slow client sends its request).",
        "",
        f"## Full sign-in ({args.users} concurrent users, {args.seconds} s each)",
        "",
        "authorize → start → code page → code read from the SMTP server → verify → token.",
        "Times in ms; CPU = gunicorn master and workers, user + system, per completed "
        "sign-in (the dispatcher threads' sending included); memory = resident MiB of "
        "each worker after the run, and in brackets its proportional share (PSS: pages "
        "shared with the master or the other worker counted by their share) and the "
        "pages it alone holds (USS).",
        "",
        "| run | sign-ins/s | p50 / p95 / p99 | verify p50 / p95 | code in inbox after "
        "page p50 / p95 | CPU ms | failed | RSS (PSS, USS) MiB |",
        "|---|---|---|---|---|---|---|---|",
        *sign_in_lines("SMTP answers at once", fast),
        *sign_in_lines("SMTP holds each reply 500 ms", slow),
        *sign_in_lines(f"{large['users']:,} users and tickets", big),
        *(
            sign_in_lines("Flask-Security-Too, email code, SMTP at once", results["fst"])
            if "fst" in results
            else []
        ),
        "",
        *fst_lines(results),
        f"- A full sign-in's server CPU is {fast['cpu_ms'] / bare_ms:.0f}× one bare hello "
        f"request's ({bare_ms:.2f} ms, gthread, "
        "the median hello run above) on PostgreSQL; the in-process figures below give "
        "the same for SQLite.",
        f"- sign-ins/s with the 500 ms SMTP server: {slowdown:.2f}× the rate with the "
        "immediate one.",
        f"- verify p50 at {large['login_tickets']:,} tickets / at {small['login_tickets']:,}: "
        f"{float(verify['big']['50%']) / max(float(verify['fast']['50%']), 1e-9):.2f}× "
        f"(p95 {float(verify['big']['95%']) / max(float(verify['fast']['95%']), 1e-9):.2f}×).",
        f"- Rows before the small run: {small}; before the big run: {large}. Seeding "
        f"{args.big_rows - 1_000:,} users, identities and used tickets with generate_series "
        f"took {results['seed_big_s']:.0f} s.",
        "- Sequential scans during the big run (table, scans, rows read, index scans): "
        + ("; ".join(f"{t} {n:,} / {r:,} / {i:,}" for t, n, r, i in results["scans"]) or "none")
        + ".",
        "- Locust percentiles are rounded (two significant figures above 100 ms).",
        "",
        *open_loop_lines(results),
        "## CPU per sign-in step, in one process (bench/cpu_ratio.py)",
        "",
        "Each step through Flask's test client, beside a bare Flask hello view served the "
        "same way in the same process; `time.process_time`, so a loaded machine changes "
        "these far less than the rates above. No gunicorn, no HTTP parsing: the bare "
        "request here is cheaper than under gunicorn, so the ratios are larger than the "
        "server's.",
        "",
        results.get("cpu_ratio", "(not run)"),
        "",
    ]
    return "\n".join(lines) + kept_text(args.output)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=25, help="length of each sign-in run")
    parser.add_argument("--users", type=int, default=8, help="concurrent sign-ins")
    parser.add_argument("--page-seconds", type=int, default=12)
    parser.add_argument("--page-users", type=int, default=16)
    parser.add_argument("--page-repeats", type=int, default=3)
    parser.add_argument("--big-rows", type=int, default=1_000_000)
    parser.add_argument(
        "--fst-users", type=int, default=1_000, help="Flask-Security-Too users (0: no FST run)"
    )
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument(
        "--workers",
        help="only the page and sign-in runs under each of these worker counts (e.g. 2,3,4); "
        "prints a table, writes nothing",
    )
    parser.add_argument("--worker-class", default="gthread", help="with --workers")
    args = parser.parse_args()
    if args.workers:
        print(sweep_workers(args))
        return
    text = report(args, run(args))
    print(text)
    args.output.write_text(text)


if __name__ == "__main__":
    main()
