"""Every benchmark of bench/, one after the other, and the summary at the top of docs/PERFORMANCE.md.

`make bench` runs this (`make bench BENCH=reads` runs one bench alone). Each bench measures its own
ceilings in the same run (the bare Django view, the one-row INSERT through Django, a bare SMTP
client), repeats, and rewrites its own section of docs/PERFORMANCE.md with medians, spreads and
ratios; each also prints `SUMMARY {json}` lines (bench.common.summary_line), which this script
gathers into the "## Summary" section: the machine, the versions, and per goal of issue 17 the
figure, its ratio to its ceiling and whether it was met.

Each bench gets a database of its own (BENCH_DATABASE_URL with the bench's name appended), since
several truncate tables, and the Redis db of BENCH_REDIS_URL.

    .venv/bin/python bench/all.py            # every bench at its default size
    .venv/bin/python bench/all.py --quick    # every bench's short run (about half a minute each)
    .venv/bin/python bench/all.py --only reads,petitions_sign
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import write_section  # noqa: E402

SECTION = "## Summary"
# In the order they run: reads first (the machine is coolest), the scale run last (it loads millions of rows).
BENCHES = [
    "reads",
    "petitions_sign",
    "notifications_fanout",
    "consultations_ballots",
    "workflows_engine",
    "scale_out",
    "scale",
]


def version(command: list[str]) -> str:
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=20)  # noqa: S603
    except (OSError, subprocess.TimeoutExpired):
        return "not found"
    text = (out.stdout or out.stderr).strip().splitlines()
    return text[0] if text else "not found"


def package(name: str) -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version

    try:
        return dist_version(name)
    except PackageNotFoundError:
        return "not installed"


def postgres_version(url: str) -> str:
    try:
        import psycopg

        with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", connect_timeout=5) as conn:
            return conn.execute("SHOW server_version").fetchone()[0]
    except Exception as exc:  # the report says so instead of failing
        return f"unknown ({exc.__class__.__name__})"


def redis_version(url: str) -> str:
    try:
        import redis

        return redis.Redis.from_url(url).info("server")["redis_version"]
    except Exception as exc:
        return f"unknown ({exc.__class__.__name__})"


def machine(database_url: str, redis_url: str) -> list[str]:
    with open("/proc/cpuinfo") as f:
        model = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), platform.machine())
    memory = ""
    try:
        with open("/proc/meminfo") as f:
            kb = int(re.search(r"MemTotal:\s+(\d+)", f.read()).group(1))
        memory = f", {kb / 1024 / 1024:.0f} GiB"
    except (OSError, AttributeError):
        pass
    return [
        f"- Machine: {platform.machine()}, {os.cpu_count()} cores ({model}){memory}, {platform.platform()}",
        f"- Python {platform.python_version()}, Django {package('django')}, granian {package('granian')}, "
        f"Celery {package('celery')}, psycopg {package('psycopg')}, DRF {package('djangorestframework')}",
        f"- PostgreSQL {postgres_version(database_url)}, Redis {redis_version(redis_url)}, "
        f"{version(['wrk', '--version']).split(' [')[0]}, {version(['pgbouncer', '--version'])}",
    ]


def run_one(name: str, args, database_url: str, redis_url: str) -> dict:
    command = [sys.executable, str(ROOT / "bench" / f"{name}.py")]
    if args.quick:
        command.append("--quick")
    env = dict(os.environ, DATABASE_URL=f"{database_url}_{name}", REDIS_URL=redis_url, PYTHONUNBUFFERED="1")
    print(f"\n=== {name}: {' '.join(command[1:])}", flush=True)
    began = time.monotonic()
    rows: list[dict] = []
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)  # noqa: S603
    for line in process.stdout:
        if line.startswith("SUMMARY "):
            rows.append(json.loads(line[len("SUMMARY ") :]))
        print(line, end="", flush=True)
    code = process.wait()
    return {"name": name, "code": code, "seconds": time.monotonic() - began, "rows": rows}


def fmt(value: float, unit: str) -> str:
    if unit == "%":
        return f"{value:.0f}%"
    if abs(value) >= 100 or float(value).is_integer():
        return f"{value:,.0f} {unit}".strip()
    return f"{value:,.2f} {unit}".strip()


def report(results: list[dict], args, started: dt.datetime, load_before, load_after, head: list[str]) -> str:
    lines = [
        SECTION,
        "",
        "Written by `make bench` (bench/all.py), which runs every bench below in one go; each bench measures",
        "its ceilings in the same run and repeats, and its own section gives the medians, spreads and ratios.",
        "",
        f"Run {started:%Y-%m-%d %H:%M} UTC{' (--quick: short runs)' if args.quick else ''}, "
        f"{sum(r['seconds'] for r in results) / 60:.0f} min in all; load average {load_before[0]:.1f} / "
        f"{load_before[1]:.1f} / {load_before[2]:.1f} before and {load_after[0]:.1f} / {load_after[1]:.1f} / "
        f"{load_after[2]:.1f} after (1 / 5 / 15 min).",
        *head,
        "",
        "| scenario | figure | value (median) | goal | |",
        "|---|---|---|---|---|",
    ]
    for result in results:
        if result["code"] != 0 and not result["rows"]:
            lines.append(f"| {result['name']} | the bench failed (exit {result['code']}) | | | **failed** |")
        for row in result["rows"]:
            verdict = "met" if row["met"] else "**missed**"
            value = fmt(row["value"], row["unit"])
            lines.append(f"| {row['scenario']} | {row['figure']} | {value} | {row['goal']} | {verdict} |")
    met = sum(row["met"] for r in results for row in r["rows"])
    total = sum(len(r["rows"]) for r in results)
    lines += ["", f"Goals met: **{met} of {total}**. Where one is missed, its section says by how much and where the time goes."]
    return "\n".join(lines)


def write_summary(text: str) -> None:
    """The summary goes right under the title, before every bench's own section."""
    path = ROOT / "docs/PERFORMANCE.md"
    current = path.read_text(encoding="utf-8")
    if re.search(rf"^{re.escape(SECTION)}$", current, re.M):
        write_section(SECTION, text)
        return
    title, _, rest = current.partition("\n")
    path.write_text(f"{title}\n\n{text.rstrip()}\n\n{rest.lstrip()}", encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="each bench's short run")
    parser.add_argument("--only", default="", help="comma-separated bench names (default: all of them)")
    parser.add_argument("--no-docs", action="store_true", help="print the summary only")
    args = parser.parse_args()
    database_url = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ruamkid_bench")
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")
    names = [n for n in BENCHES if (ROOT / "bench" / f"{n}.py").exists()]
    if args.only:
        wanted = args.only.split(",")
        unknown = sorted(set(wanted) - set(names))
        if unknown:
            raise SystemExit(f"no such bench: {', '.join(unknown)}; one of {', '.join(names)}")
        names = [n for n in names if n in wanted]
    started, load_before = dt.datetime.now(dt.UTC), os.getloadavg()
    head = machine(database_url, redis_url)
    results = [run_one(name, args, database_url, redis_url) for name in names]
    text = report(results, args, started, load_before, os.getloadavg(), head)
    print("\n" + text)
    if not args.no_docs:
        write_summary(text)
    failed = [r["name"] for r in results if r["code"] != 0]
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
