"""What the benchmarks share: a PostgreSQL database of their own and a free local port."""

from __future__ import annotations

import socket
from urllib.parse import urlparse


def ensure_database(url: str) -> None:
    """Create the bench database named in `url` if it does not exist yet."""
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_section(section: str, text: str) -> None:
    """Put `text` in docs/PERFORMANCE.md in place of the section headed `section` (or at its end)."""
    import re
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "docs/PERFORMANCE.md"
    current = path.read_text(encoding="utf-8") if path.exists() else "# Performance\n"
    pattern = re.compile(rf"^{re.escape(section)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(current):
        updated = pattern.sub(lambda _m: text.rstrip() + "\n\n", current)
    else:
        updated = current.rstrip() + "\n\n" + text.rstrip() + "\n"
    path.write_text(updated.rstrip() + "\n", encoding="utf-8")


CEILING_TABLE = "bench_ceiling_insert"


def ensure_ceiling_table() -> None:
    """The table the insert ceiling (bench/ceiling.py POST /insert/) writes to, in Django's database."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {CEILING_TABLE} (id bigserial PRIMARY KEY, body text)")


def start_granian(app: str, port: int, workers: int, threads: int, env: dict, health: str):
    """Serve the WSGI `app` with granian as the Procfile runs the web (workers × blocking threads,
    backlog 2048, no access log) on 127.0.0.1:`port`; return the process once `health` answers 200.

    `app` is "config.wsgi:application" (the site) or "bench.ceiling:application" (the ceilings)."""
    import subprocess
    import sys
    import time
    import urllib.request
    from pathlib import Path

    command = [
        sys.executable, "-m", "granian", "--interface", "wsgi", app, "--host", "127.0.0.1", "--port", str(port),
        "--workers", str(workers), "--blocking-threads", str(threads), "--backlog", "2048",
        "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    server = subprocess.Popen(command, cwd=Path(__file__).resolve().parent.parent, env=env)  # noqa: S603
    deadline = time.time() + 60
    while time.time() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"{app} exited with {server.returncode} before it answered {health}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{health}", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return server
        except Exception:
            time.sleep(0.3)
    server.terminate()
    raise SystemExit(f"{app} did not answer {health} within 60 s")


def summary_line(scenario: str, figure: str, value: float, unit: str, goal: str, met: bool, ratio: float | None = None) -> None:
    """One line `SUMMARY {json}` on stdout: bench/all.py (make bench) collects these into the summary
    table at the top of docs/PERFORMANCE.md. `ratio` is the figure over its ceiling of the same run."""
    import json

    row = {"scenario": scenario, "figure": figure, "value": value, "unit": unit, "goal": goal, "met": bool(met)}
    if ratio is not None:
        row["ratio"] = ratio
    print("SUMMARY " + json.dumps(row, ensure_ascii=False), flush=True)
