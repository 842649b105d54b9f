"""Sign-and-confirm throughput and latency over HTTP, on PostgreSQL and Redis.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ruamkid_bench REDIS_URL=redis://127.0.0.1:6379/9 \\
        .venv/bin/python bench/petitions_sign.py --signatures 20000 --concurrency 32

What it does: migrates the given database, makes an organisation "bench-petitions" whose policy
has no rate limits that one client address would hit, opens a fresh petition through the
services (thresholds at half and all of N, so the threshold moves happen under load), starts the
production web server (granian, as in the Procfile) on 127.0.0.1 with persistent database
connections, and drives it with wrk (C, keep-alive connections; Lua scripts written by this file):

  warm-up  a few hundred signatures signed and confirmed (process caches, connections, tally rows)
  phase 1  N × POST /api/v1/petitions/<id>/signatures/   (one statement: the row and its mail)
  phase 2  N × POST /api/v1/signatures/confirm/          (one statement: the UPDATE and the tally)

The confirmation tokens are read from the outbox events between the phases (the client gets
them "by email"; this read is not timed). Each phase ends when its N-th answer arrives (the Lua
script notes the time; the bench then stops wrk). Reports requests/s and p50/p95/p99 latency per
phase, signatures/s for the whole path (N ÷ both phases' time), the CPU each part of the machine
spent per signature (app server, PostgreSQL, Redis, the load generator), checks that the count
equals the confirmed rows, and writes docs/PERFORMANCE.md "## Petition signing".

No Celery worker runs: the mails queue in the outbox and Redis (queue CELERY_QUEUE, purged at the
end); sending them is measured by bench/notifications_fanout.py. Needs wrk (`make bench` installs it; or apt-get install wrk).
Options: --workers/--threads for granian, --repeat to run the two phases several times on fresh
petitions (the VM's speed varies from minute to minute; every run is reported), --no-docs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import timeit
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import ensure_ceiling_table, ensure_database, free_port, start_granian, summary_line, write_section  # noqa: E402

SECTION = "## Petition signing"
GOAL_RATE, GOAL_P99_MS = 500, 200
GOAL_CEILING = 0.50  # each request at least half the one-row-insert ceiling (issue 17)

# --- the load generator ----------------------------------------------------------------------
# One wrk thread (a C event loop: it costs the machine little) over C keep-alive connections. The
# Lua scripts count answers by status; at the N-th they note the elapsed wall time (LuaJIT's FFI
# clock) and touch a marker file, and the bench interrupts wrk, which then prints its latency
# percentiles through done().
LUA_COMMON = r"""
local ffi = require("ffi")
ffi.cdef[[ typedef struct { long tv_sec; long tv_nsec; } rk_timespec; int clock_gettime(int clk, rk_timespec *tp); ]]
local ts = ffi.new("rk_timespec")
local function now() ffi.C.clock_gettime(1, ts); return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) / 1e9 end
local wanted, answered, started, marker, counts = 0, 0, nil, nil, {}
elapsed, statuses = -1, "{}"
local function encode_counts()
  local parts = {}
  for code, n in pairs(counts) do parts[#parts + 1] = string.format('"%d": %d', code, n) end
  return "{" .. table.concat(parts, ", ") .. "}"
end
response = function(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
  answered = answered + 1
  if answered == wanted then
    elapsed = now() - started
    statuses = encode_counts()
    local f = io.open(marker, "w"); f:write("done"); f:close()
    wrk.thread:stop()
  end
end
local threads = {}
setup = function(thread) threads[#threads + 1] = thread end
done = function(summary, latency, requests)
  local t = threads[1]
  io.write(string.format('RESULT {"elapsed": %s, "statuses": %s, "p50_us": %d, "p95_us": %d, "p99_us": %d, "max_us": %d}\n',
    tostring(t:get("elapsed")), t:get("statuses"), latency:percentile(50), latency:percentile(95), latency:percentile(99),
    latency.max))
end
local function begin() if not started then started = now() end end
"""
LUA_SIGN = (
    LUA_COMMON
    + r"""
local prefix, sent = "", 0
init = function(args) wanted = tonumber(args[1]); marker = args[2]; prefix = args[3] end
request = function()
  begin()
  sent = sent + 1
  local body = string.format('{"name": "ผู้ลงชื่อ %d", "email": "%s%d@bench.example.org", "village": %d, "consent": true}',
    sent, prefix, sent, sent % 10 + 1)
  return wrk.format("POST", nil, {["Content-Type"] = "application/json", ["Accept-Language"] = "th"}, body)
end
"""
)
LUA_CONFIRM = (
    LUA_COMMON
    + r"""
local tokens, sent = {}, 0
init = function(args)
  wanted = tonumber(args[1]); marker = args[2]
  for line in io.lines(args[3]) do tokens[#tokens + 1] = line end
end
request = function()
  begin()
  sent = sent + 1
  local token = tokens[(sent - 1) % #tokens + 1]
  return wrk.format("POST", nil, {["Content-Type"] = "application/json", ["Accept-Language"] = "th"},
    '{"token": "' .. token .. '"}')
end
"""
)


LUA_INSERT = (
    LUA_COMMON
    + r"""
local sent = 0
init = function(args) wanted = tonumber(args[1]); marker = args[2] end
request = function()
  begin()
  sent = sent + 1
  return wrk.format("POST", nil, {["Content-Type"] = "text/plain"}, string.format("row %d", sent))
end
"""
)


# --- where the CPU goes ----------------------------------------------------------------------
def cpu_by_part(server_pid: int, wrk_pid: int | None = None) -> dict[str, float]:
    """CPU seconds (user + system) so far of the app server (granian and its workers), PostgreSQL
    (every postgres process), Redis and the load generator, from /proc (Linux)."""
    ticks = os.sysconf("SC_CLK_TCK")
    parts = {"app": 0, "postgres": 0, "redis": 0, "wrk": 0}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                raw = f.read()
        except OSError:
            continue
        name = raw[raw.index("(") + 1 : raw.rindex(")")]
        fields = raw.rsplit(")", 1)[1].split()
        # utime + stime, and cutime + cstime: the time of children it has reaped, so that a backend
        # that exits during a phase (a closed connection, an autovacuum worker) is still counted.
        pid, ppid, used = int(entry), int(fields[1]), sum(int(v) for v in fields[11:15])
        if pid == server_pid or ppid == server_pid:
            parts["app"] += used
        elif name.startswith("postgres"):
            parts["postgres"] += used
        elif name.startswith("redis-server"):
            parts["redis"] += used
        elif pid == wrk_pid:
            parts["wrk"] += used
    return {k: v / ticks for k, v in parts.items()}


def machine_busy() -> float:
    """Busy CPU seconds of the whole machine so far (all processes and the kernel)."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    idle = values[3] + values[4]
    return (sum(values[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def python_speed_ns() -> float:
    """A fixed piece of Python, timed: how fast this VM runs right now (it varies)."""
    return min(timeit.repeat("sum((1, 2, 3))", number=200_000, repeat=5)) / 200_000 * 1e9


def run_wrk(url: str, script: str, args: list[str], connections: int, server_pid: int, workdir: Path) -> dict:
    marker = workdir / f"marker-{time.monotonic_ns()}"
    lua = workdir / f"phase-{time.monotonic_ns()}.lua"
    lua.write_text(script, encoding="utf-8")
    command = ["wrk", "-t1", f"-c{connections}", "-d3600s", "--timeout", "10s", "-s", str(lua), url]
    command += ["--", args[0], str(marker), *args[1:]]
    busy0 = machine_busy()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    before = cpu_by_part(server_pid, process.pid)
    while not marker.exists():
        if process.poll() is not None:
            raise SystemExit(f"wrk ended early:\n{process.stdout.read()}")
        time.sleep(0.02)
    after, busy1 = cpu_by_part(server_pid, process.pid), machine_busy()
    process.send_signal(signal.SIGINT)  # wrk stops and prints what done() writes
    out, _ = process.communicate(timeout=60)
    line = next((x for x in out.splitlines() if x.startswith("RESULT ")), None)
    if line is None:
        raise SystemExit(f"wrk printed no result:\n{out}")
    result = json.loads(line[len("RESULT ") :])
    result["cpu"] = {k: after[k] - before[k] for k in before}
    result["cpu"]["machine"] = busy1 - busy0
    return result


# --- setup ------------------------------------------------------------------------------------
def setup_django():
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    import django

    django.setup()


def bench_org(n: int):
    from django.core.management import call_command
    from django.utils import timezone

    from accounts.models import Membership, Organisation, Role, User, Village
    from petitions.models import PetitionPolicy

    call_command("migrate", verbosity=0)
    org, _ = Organisation.objects.get_or_create(slug="bench-petitions", defaults={"name": "เทศบาลทดสอบความเร็ว"})
    for number in range(1, 11):
        Village.objects.get_or_create(organisation=org, number=number)
    PetitionPolicy.objects.update_or_create(
        organisation=org,
        defaults={
            "sponsors_required": 0, "response_threshold": max(1, n // 2), "council_threshold": n,
            # wrk signs from one address: no refusals, and no review flag (whose UPDATE per signature
            # only a busy address pays; the bench measures the plain path).
            "ip_limit": 10**9, "ip_review_limit": 10**9, "petition_limit": 10**9, "burst_limit": 10**9,
        },
    )  # fmt: skip
    users = {}
    for role in (Role.RESIDENT, Role.MODERATOR):
        email = f"bench-{role}@bench.example.org"
        user = User.objects.filter(email=email).first() or User.objects.create_user(
            email, "bench-password-not-secret", full_name=f"bench {role}", email_confirmed_at=timezone.now()
        )
        Membership.objects.get_or_create(user=user, organisation=org, role=role)
        users[role] = user
    return org, users


def open_petition(org, users):
    from django.utils import timezone

    from accounts.models import Role
    from petitions import services
    from workflows.services import transition

    petition = services.petition_create(
        organisation=org, author=users[Role.RESIDENT], kind="general",
        title=f"ทดสอบความเร็วการลงชื่อ {timezone.now():%Y-%m-%d %H:%M:%S}", body="bench",
    )  # fmt: skip
    petition = services.petition_request_sponsors(petition=petition, actor=users[Role.RESIDENT])
    return transition(petition, "open", actor=users[Role.MODERATOR])


def tokens_after(petition_id: int, after_id: int) -> tuple[list[str], int]:
    """The confirmation links mailed for this petition since outbox row `after_id`, and the last row id."""
    from notifications.models import OutboxEvent

    rows = list(
        OutboxEvent.objects.filter(
            event="signature.confirm_requested", record_type="petitions.petition", record_id=str(petition_id), id__gt=after_id
        )
        .order_by("id")
        .values_list("id", "data")
    )
    tokens = [data["confirm_url"].rstrip("/").rsplit("/", 1)[-1] for _id, data in rows]
    return tokens, (rows[-1][0] if rows else after_id)


def last_outbox_id() -> int:
    from notifications.models import OutboxEvent

    return OutboxEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def one_run(
    port: int, server_pid: int, ceiling: tuple[int, int], petition, n: int, connections: int, warmup: int, workdir: Path
) -> dict:
    """Warm up, then N one-row inserts on the ceiling app, N signs and N confirms on `petition`."""
    base = f"http://127.0.0.1:{port}"
    ceiling_port, ceiling_pid = ceiling
    insert_url = f"http://127.0.0.1:{ceiling_port}/insert/"
    run_wrk(insert_url, LUA_INSERT, [str(warmup)], connections, ceiling_pid, workdir)
    sign_url = f"{base}/api/v1/petitions/{petition.pk}/signatures/"
    confirm_url = f"{base}/api/v1/signatures/confirm/"
    tag = f"r{time.time_ns() % 10**9}-"
    mark = last_outbox_id()
    run_wrk(sign_url, LUA_SIGN, [str(warmup), f"warm{tag}"], connections, server_pid, workdir)
    warm_tokens, mark = tokens_after(petition.pk, mark)
    (workdir / "warm.txt").write_text("\n".join(warm_tokens) + "\n")
    run_wrk(confirm_url, LUA_CONFIRM, [str(len(warm_tokens)), str(workdir / "warm.txt")], connections, server_pid, workdir)

    speed_before = python_speed_ns()
    insert = run_wrk(insert_url, LUA_INSERT, [str(n)], connections, ceiling_pid, workdir)
    sign = run_wrk(sign_url, LUA_SIGN, [str(n), tag], connections, server_pid, workdir)
    tokens, _ = tokens_after(petition.pk, mark)
    (workdir / "tokens.txt").write_text("\n".join(tokens[:n]) + "\n")
    confirm = run_wrk(confirm_url, LUA_CONFIRM, [str(n), str(workdir / "tokens.txt")], connections, server_pid, workdir)
    speed_after = python_speed_ns()

    from petitions.models import Signature
    from petitions.selectors import petition_total

    time.sleep(0.5)  # answers still in flight when wrk was stopped
    confirmed = Signature.objects.filter(petition=petition, state="confirmed").count()
    # No Celery beat runs here, so a threshold move was made by a confirmation request. The council
    # move is made at the count of signatures confirmed by the time it was made (N when prompt).
    petition.refresh_from_db()
    reached = petition.council_threshold_reached_at
    moved_at = reached and Signature.objects.filter(petition=petition, state="confirmed", confirmed_at__lte=reached).count()
    return {
        "insert": insert, "sign": sign, "confirm": confirm, "tokens": len(tokens), "confirmed": confirmed,
        "total": petition_total(petition.pk), "speed_ns": (speed_before, speed_after),
        "response_moved": petition.response_state == "awaiting_response", "council_moved_at": moved_at,
    }  # fmt: skip


# --- the report --------------------------------------------------------------------------------
def spread(values: list[float], fmt: str = "{:,.0f}") -> str:
    """Median (min–max)."""
    return f"{fmt.format(statistics.median(values))} ({fmt.format(min(values))}–{fmt.format(max(values))})"


def ceiling_table(runs: list[dict], n: int, args) -> list[str]:
    """Each request beside the one-row-insert ceiling of the same run (issue 17: each at least 50%)."""
    summaries = [summarise(r, n) for r in runs]
    sign = [n / r["sign"]["elapsed"] for r in runs]
    confirm = [n / r["confirm"]["elapsed"] for r in runs]
    inserts = [s["insert"] for s in summaries]
    lines = [
        "",
        f"The ceiling, in each run just before its two phases: {n:,} POST /insert/ to bench/ceiling.py (Django with no",
        "middleware, one INSERT of one row through its connection in autocommit, served by the same granian with",
        f"the same workers and threads, driven by the same wrk with {args.concurrency} connections). Median (min–max) over",
        f"{len(runs)} run{'s' if len(runs) != 1 else ''}:",
        "",
        "| figure | req/s | ratio to the insert ceiling | goal ≥ 50% |",
        "|---|---|---|---|",
        f"| ceiling: one-row INSERT through Django | {spread(inserts)} | 100% | ceiling |",
    ]
    for label, rates, key in (("sign", sign, "sign_ratio"), ("confirm", confirm, "confirm_ratio")):
        ratios = [s[key] * 100 for s in summaries]
        ratio = statistics.median(ratios)
        verdict = "met" if ratio >= GOAL_CEILING * 100 else f"missed by {GOAL_CEILING * 100 - ratio:.0f} points"
        lines.append(f"| {label} | {spread(rates)} | {spread(ratios, '{:.0f}%')} | {verdict} |")
    return lines


def moves(run: dict, n: int) -> str:
    response = "response ✓" if run["response_moved"] else "response **no**"
    at = run["council_moved_at"]
    return f"{response}, council " + (f"at {at:,} (threshold {n:,})" if at else "**no**")


def summarise(run: dict, n: int) -> dict:
    both = run["sign"]["elapsed"] + run["confirm"]["elapsed"]
    cpu = {k: (run["sign"]["cpu"][k] + run["confirm"]["cpu"][k]) * 1000 / n for k in run["sign"]["cpu"]}
    p99 = max(run["sign"]["p99_us"], run["confirm"]["p99_us"]) / 1000
    insert = n / run["insert"]["elapsed"]
    return {
        "rate": n / both, "p99_ms": p99, "cpu_ms": cpu, "both_s": both, "insert": insert,
        "sign_ratio": n / run["sign"]["elapsed"] / insert, "confirm_ratio": n / run["confirm"]["elapsed"] / insert,
    }  # fmt: skip


def report(args, runs: list[dict], started: dt.datetime) -> str:
    from petitions.signing import RECHECK

    n = args.signatures
    lines = [
        SECTION,
        "",
        "Each signature is two HTTP requests: the sign form and the confirm button of the mailed link. On",
        "PostgreSQL each is one SQL statement in autocommit (petitions/signing.py): signing inserts the pending",
        "row and the outbox row of its confirmation mail in one data-modifying CTE; confirming updates the row",
        "and upserts three sharded tally rows (total, village, hour) in another, reading the small sum of the",
        f"total shards while a threshold is ahead (the last {RECHECK:,} confirmations before a threshold read it",
        "once more after they commit, so that two that miss each other still make the move). No COUNT(*), no",
        "single hot counter row, no BEGIN/COMMIT round trips; the thresholds (N/2 and N) are crossed during the",
        "run. The two endpoints are plain functions (workflows/jsonviews.py) served by a WSGI lane in front of",
        "Django (config/wsgi.py) that gives Django's own answers and headers without its request cycle",
        "(tests/petitions/test_hot_lane.py compares them); every other request goes through Django's full",
        "stack. The server is granian, as the Procfile runs it.",
        "",
        "Reproduce (a quiet machine; its own database and Redis db; the bench starts the server and wrk):",
        "",
        "```",
        "DATABASE_URL=postgres://postgres@127.0.0.1:5432/ruamkid_bench REDIS_URL=redis://127.0.0.1:6379/9 \\",
        f"  .venv/bin/python bench/petitions_sign.py --signatures {n} --concurrency {args.concurrency} --repeat {args.repeat}",
        "```",
        "",
        f"Measured {started:%Y-%m-%d %H:%M} UTC on {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; granian {args.workers} workers × {args.threads} "
        f"thread{'s' if args.threads != 1 else ''}, wrk with "
        f"{args.concurrency} keep-alive connections, {n:,} signatures per run after a warm-up of {args.warmup}.",
        "",
        "| run | signatures/s (sign + confirm) | sign req/s | sign p50 / p95 / p99 ms | confirm req/s "
        "| confirm p50 / p95 / p99 ms | statuses sign / confirm | confirmed rows = count | thresholds moved |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for i, run in enumerate(runs, 1):
        s, c, summary = run["sign"], run["confirm"], summarise(run, n)

        def ms(phase):
            return " / ".join(f"{phase[k] / 1000:.1f}" for k in ("p50_us", "p95_us", "p99_us"))

        lines.append(
            f"| {i} | **{summary['rate']:,.0f}** | {n / s['elapsed']:,.0f} | {ms(s)} | {n / c['elapsed']:,.0f} | {ms(c)} "
            f"| {json.dumps(s['statuses'], sort_keys=True)} / {json.dumps(c['statuses'], sort_keys=True)} "
            f"| {run['confirmed']:,} = {run['total']:,} {'✓' if run['confirmed'] == run['total'] else '✗'} "
            f"| {moves(run, n)} |"
        )
    lines += ceiling_table(runs, n, args)
    lines += [
        "",
        "No mail is sent during the run: each confirmation mail waits in the outbox, and sending is measured",
        "under Notification fan-out above (one mail each, about 250 a second through one SMTP server). A spike",
        "faster than that makes the mails arrive late, never lost; more Celery workers or SMTP relays catch up.",
        "",
        'The statuses are those of the first N answers of each phase. "Confirmed rows = count" compares the petition\'s',
        "confirmed rows with its published count (the sum of its tally shards); both include the warm-up, which",
        "ends a few signatures past its size (the requests in flight when wrk is stopped are answered too).",
        '"Thresholds moved": whether the confirmation requests themselves made the response move (N/2) and',
        "the council move (N, counted with the warm-up), and at which confirmed count the council move was",
        "made: the signatures confirmed by then, which can pass N by the confirmations in flight at that moment. No",
        'periodic check runs during the bench: a crossing the requests missed would show as "no".',
        "",
        "CPU per request, ms, of the app server, PostgreSQL (all its processes), Redis, the load generator",
        "and the whole machine (all processes and the kernel; 2 cores give 2,000 ms a second), sign / confirm.",
        "The last column is a fixed piece of Python timed before and after the run: this VM's speed varies.",
        "",
        "| run | app | PostgreSQL | Redis | wrk | whole machine | per signature, whole machine | `sum((1, 2, 3))` ns |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for i, run in enumerate(runs, 1):

        def per(part, run=run):
            return f"{run['sign']['cpu'][part] * 1000 / n:.2f} / {run['confirm']['cpu'][part] * 1000 / n:.2f}"

        machine = summarise(run, n)["cpu_ms"]["machine"]
        lines.append(
            f"| {i} | {per('app')} | {per('postgres')} | {per('redis')} | {per('wrk')} | {per('machine')} | {machine:.2f} "
            f"| {run['speed_ns'][0]:.0f} / {run['speed_ns'][1]:.0f} |"
        )
    rates = sorted(summarise(r, n)["rate"] for r in runs)
    p99s = [summarise(r, n)["p99_ms"] for r in runs]
    met = sum(1 for r in runs if summarise(r, n)["rate"] >= GOAL_RATE and summarise(r, n)["p99_ms"] < GOAL_P99_MS)
    lines += [
        "",
        f"Goal: at least {GOAL_RATE} signatures/s with p99 under {GOAL_P99_MS} ms on a 2-core machine. "
        f"Runs meeting it: **{met} of {len(runs)}** (signatures/s from {rates[0]:,.0f} to {rates[-1]:,.0f}; "
        f"worst p99 {max(p99s):.0f} ms).",
    ]
    if args.note:
        lines += ["", args.note]
    return "\n".join(lines)


def write_docs(text: str) -> None:
    write_section(SECTION, text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--signatures", type=int, default=20000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)  # the Procfile's WEB_THREADS
    parser.add_argument("--warmup", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-docs", action="store_true")
    parser.add_argument("--note", default="", help="a line added under the tables (e.g. machine load)")
    parser.add_argument("--quick", action="store_true", help="a short run: 3,000 signatures, 2 runs (make bench QUICK=1)")
    args = parser.parse_args()
    if args.quick:
        args.signatures, args.warmup, args.repeat = 3000, 200, 2

    if not os.environ.get("DATABASE_URL", "").startswith("postgres") or not os.environ.get("REDIS_URL"):
        raise SystemExit("set DATABASE_URL=postgres://… and REDIS_URL=redis://… (a database and Redis db of the bench's own)")
    if shutil.which("wrk") is None:
        raise SystemExit("the bench drives the server with wrk: apt-get install wrk")
    os.environ.setdefault("CELERY_QUEUE", "q_bench_pet")
    os.environ.setdefault("CACHE_PREFIX", "bench_pet")
    os.environ["DB_CONN_MAX_AGE"] = os.environ.get("DB_CONN_MAX_AGE", "60")  # as the Procfile runs production
    ensure_database(os.environ["DATABASE_URL"])
    setup_django()
    n = args.signatures
    org, users = bench_org(n)
    port = free_port()
    env = dict(os.environ, DEBUG="false", PYTHONPATH=str(ROOT))
    ensure_ceiling_table()
    ceiling_port = free_port()
    server = start_granian("config.wsgi:application", port, args.workers, args.threads, env, "/healthz?scope=web")
    ceiling = start_granian("bench.ceiling:application", ceiling_port, args.workers, args.threads, env, "/bare/")
    started = dt.datetime.now(dt.UTC)
    runs = []
    try:
        with tempfile.TemporaryDirectory(prefix="bench-sign-") as workdir:
            for i in range(args.repeat):
                petition = open_petition(org, users)
                run = one_run(
                    port, server.pid, (ceiling_port, ceiling.pid), petition, n, args.concurrency, args.warmup, Path(workdir)
                )
                summary = summarise(run, n)
                print(
                    f"run {i + 1}: {summary['rate']:,.0f} signatures/s, p99 {summary['p99_ms']:.0f} ms, "
                    f"sign {summary['sign_ratio']:.0%} / confirm {summary['confirm_ratio']:.0%} of the insert ceiling, "
                    f"machine CPU {summary['cpu_ms']['machine']:.2f} ms per signature",
                    flush=True,
                )
                runs.append(run)
    finally:
        for process in (server, ceiling):
            process.terminate()
            process.wait(timeout=30)
        try:
            import redis

            redis.Redis.from_url(os.environ["REDIS_URL"]).delete(os.environ["CELERY_QUEUE"])
        except Exception as exc:  # reporting matters more than the cleanup
            print(f"(could not purge the mail queue: {exc})")
    text = report(args, runs, started)
    print(text)
    summaries = [summarise(r, n) for r in runs]
    rate = statistics.median(s["rate"] for s in summaries)
    summary_line("signing", "signatures/s (sign + confirm)", rate, "/s", f"≥ {GOAL_RATE}/s, p99 < {GOAL_P99_MS} ms",
            rate >= GOAL_RATE and max(s["p99_ms"] for s in summaries) < GOAL_P99_MS)  # fmt: skip
    for key, label in (("sign_ratio", "sign requests"), ("confirm_ratio", "confirm requests")):
        ratio = statistics.median(s[key] for s in summaries)
        summary(
            "signing", f"{label} / insert ceiling", ratio * 100, "%", "≥ 50% of the insert ceiling", ratio >= GOAL_CEILING, ratio
        )
    if not args.no_docs:
        write_docs(text)
    return 0 if all(r["confirmed"] == r["total"] for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
