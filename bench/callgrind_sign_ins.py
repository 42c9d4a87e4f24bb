"""Instructions per sign-in by valgrind's callgrind, which a busy machine does not move.

`.venv/bin/python bench/callgrind_sign_ins.py [--database sqlite|postgresql]` runs
bench/cpu_ratio.py's sign-ins in two processes under callgrind (PYTHONHASHSEED=0,
3 warm-up sign-ins, then 2 in one and 12 in the other) and prints the difference
divided by 10: start-up and imports cancel out. Two things cost a varying amount
from run to run and are taken out. The limiter's in-memory storage expires its
counters from a timer thread every 10 ms, whose work grows with wall-clock time
(callgrind runs the program about 50 times slower, more on a busy machine): here that
timer never starts (the counters still count; nothing expires within the run). And
the first signing key's RSA key
generation (in the warm-up) searches random primes, so its cost differs between
two runs by up to ±30 M instructions, a quarter of a sign-in: it is subtracted
(callgrind's inclusive cost of RSA_generate_key_ex). Only this process's
instructions count, never the PostgreSQL server's. Takes minutes.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from contextlib import redirect_stdout
from pathlib import Path

KEYGEN = "RSA_generate_key_ex"


def sign_ins(database: str, count: int) -> None:
    """The process callgrind watches: warm up, then `count` sign-ins."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    _no_expiry_timer()
    import cpu_ratio  # puts this checkout first on sys.path, then imports its app

    def run(uri: str) -> None:
        with open(os.devnull, "w") as null, redirect_stdout(null):
            app, client_id, secret = cpu_ratio.build_app(uri)
            signing = cpu_ratio.Run(app, client_id, secret)
            for _ in range(3 + count):
                signing.sign_in()

    if database == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            run(f"sqlite:///{Path(folder) / 'bench.sqlite'}")
    else:
        with cpu_ratio.postgres_database() as uri:
            run(uri)


def _no_expiry_timer() -> None:
    """limits' MemoryStorage without its 10 ms expiry timer thread (see above)."""
    import threading
    from types import SimpleNamespace

    from limits.storage import memory

    class NoTimer:
        def __init__(self, *args, **kwargs) -> None:
            pass

        def start(self) -> None:
            pass

        def cancel(self) -> None:
            pass

        def is_alive(self) -> bool:
            return True

    memory.threading = SimpleNamespace(**{**vars(threading), "Timer": NoTimer})


def instructions(out: Path) -> int:
    """The run's instructions without the RSA key generation."""
    total = int(re.search(r"^summary: (\d+)", out.read_text(), re.M)[1])
    annotated = subprocess.run(
        # Every function, not the default's first 99 %: else a short key generation can
        # fall off the list and go uncounted as key generation.
        ["callgrind_annotate", "--inclusive=yes", "--threshold=100", str(out)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    keygen = next((line for line in annotated.splitlines() if KEYGEN in line), None)
    return total - (int(keygen.split()[0].replace(",", "")) if keygen else 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--run", type=int, help=argparse.SUPPRESS)  # inside valgrind
    args = parser.parse_args()
    if args.run is not None:
        sign_ins(args.database, args.run)
        return
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    with tempfile.TemporaryDirectory() as folder:
        runs = {}
        for count in (2, 12):
            out = Path(folder) / f"callgrind-{count}.out"
            command = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"]
            command += [sys.executable, __file__, "--database", args.database]
            runs[count] = (out, subprocess.Popen([*command, "--run", str(count)], env=env))
        for out, process in runs.values():
            if process.wait() != 0:
                raise SystemExit(f"valgrind failed ({out.name})")
        per_sign_in = (instructions(runs[12][0]) - instructions(runs[2][0])) / 10
    print(f"{args.database}: {per_sign_in / 1e6:.1f} M instructions per sign-in")


if __name__ == "__main__":
    main()
