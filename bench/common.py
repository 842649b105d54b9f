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


def http_bench_env(name: str) -> dict:
    """For a bench that drives granian with wrk: refuse to start without a PostgreSQL database and
    Redis db of its own and wrk; give it its own queue and cache prefix and persistent database
    connections, create the database, and return the servers' environment."""
    import os
    import shutil
    from pathlib import Path

    if not os.environ.get("DATABASE_URL", "").startswith("postgres") or not os.environ.get("REDIS_URL"):
        raise SystemExit("set DATABASE_URL=postgres://… and REDIS_URL=redis://… (a database and Redis db of the bench's own)")
    if shutil.which("wrk") is None:
        raise SystemExit("the bench drives the servers with wrk: apt-get install wrk")
    os.environ.setdefault("CELERY_QUEUE", f"q_bench_{name}")
    os.environ.setdefault("CACHE_PREFIX", f"bench_{name}")
    os.environ["DB_CONN_MAX_AGE"] = os.environ.get("DB_CONN_MAX_AGE", "60")
    ensure_database(os.environ["DATABASE_URL"])
    return dict(os.environ, DEBUG="false", PYTHONPATH=str(Path(__file__).resolve().parent.parent))


def load_line() -> str:
    """The machine's load average as the report says it."""
    import os

    load = os.getloadavg()
    return (
        f"Load average when the report was written: {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1 / 5 / 15 min) on "
        f"{os.cpu_count()} cores."
    )
