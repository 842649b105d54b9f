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
