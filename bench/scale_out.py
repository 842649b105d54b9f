"""Past one machine, on loopback: two web nodes and two Celery worker nodes on PostgreSQL through
PgBouncer in transaction mode, under the signing load.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ruamkid_bench REDIS_URL=redis://127.0.0.1:6379/9 \\
        .venv/bin/python bench/scale_out.py            # about 3 minutes; --quick about 30 s

What runs (each node a process group of its own, with the environment a host of its own would have:
its own port, hostname, DATABASE_URL; they share only PostgreSQL, Redis and the SMTP relay):

  pgbouncer   Debian's /usr/sbin/pgbouncer, its own ini and userlist in a temporary folder, its own
              port, pool_mode = transaction, in front of PostgreSQL
  web-a/b     granian as the Procfile runs it, DB_PREPARED_STATEMENTS=false, DB_CONN_MAX_AGE=60
  worker-a/b  python -m celery -A config worker -n worker-a@… (the mail), same database settings
  beat        python -m celery -A config beat: exactly one in the whole deployment
  smtp        an SMTP listener (aiosmtpd) in this process that counts what it receives by Message-ID

and then the signing flow of bench/petitions_sign.py (wrk, keep-alive connections; the sign request
and the confirm request) split round-robin over the two web nodes, one wrk process each (as a load
balancer in front of them would), on a fresh petition whose thresholds (N/2 and N) are crossed under
load. Checked after each run: confirmed rows = the published count, each confirmation mail received
exactly once (one per signer, no Message-ID twice), each threshold move made once (one audit entry
each). The same run is then made directly against PostgreSQL (no PgBouncer, prepared statements on):
the ceiling the PgBouncer figure is compared with. Writes docs/PERFORMANCE.md "## Scale-out".

tests/ops/test_scale_out.py runs a small version of this (no wrk) as a test.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import email
import email.policy
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import ensure_database, free_port, summary_line, write_section  # noqa: E402

SECTION = "## Scale-out"
PGBOUNCER = os.environ.get("PGBOUNCER", "/usr/sbin/pgbouncer")
CONFIRM_SUBJECTS = ("ยืนยันการลงชื่อของคุณ", "Confirm your signature")


# --- the parts ---------------------------------------------------------------------------------
class PgBouncer:
    """Debian's pgbouncer in transaction mode on a port of its own, in front of `database_url`."""

    def __init__(self, database_url: str, workdir: Path, *, pool_size: int = 20, max_clients: int = 500):
        if not Path(PGBOUNCER).exists():
            raise SystemExit(f"no {PGBOUNCER}: apt-get install pgbouncer")
        target = urlparse(database_url)
        self.user, self.dbname = target.username or "postgres", target.path.lstrip("/")
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="pgbouncer-", dir=workdir))
        self.dir.chmod(0o755)  # pgbouncer refuses to run as root: it runs as nobody and reads these
        (self.dir / "userlist.txt").write_text(f'"{self.user}" ""\n')
        (self.dir / "pgbouncer.ini").write_text(
            "\n".join(
                [
                    "[databases]",
                    f"{self.dbname} = host={target.hostname or '127.0.0.1'} port={target.port or 5432} dbname={self.dbname}",
                    "[pgbouncer]",
                    "listen_addr = 127.0.0.1",
                    f"listen_port = {self.port}",
                    "unix_socket_dir =",
                    "auth_type = trust",
                    f"auth_file = {self.dir / 'userlist.txt'}",
                    f"admin_users = {self.user}",
                    "pool_mode = transaction",
                    f"default_pool_size = {pool_size}",
                    f"max_client_conn = {max_clients}",
                    # psycopg sends no startup options Django needs kept; the time zone Django sets is
                    # one of the parameters pgbouncer tracks and sets again on each server connection.
                    "ignore_startup_parameters = extra_float_digits,options",
                    "log_connections = 0",
                    "log_disconnections = 0",
                    "",
                ]
            )
        )
        command = [PGBOUNCER, *(["-u", "nobody"] if os.geteuid() == 0 else []), str(self.dir / "pgbouncer.ini")]
        self.log = open(self.dir / "pgbouncer.log", "w+")  # noqa: SIM115
        self.process = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        self.url = target._replace(netloc=f"{self.user}@127.0.0.1:{self.port}").geturl()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"pgbouncer ended:\n{(self.dir / 'pgbouncer.log').read_text()}")
            try:
                self.show("VERSION")
                return
            except Exception:
                time.sleep(0.2)
        raise SystemExit("pgbouncer did not answer within 20 s")

    def show(self, what: str) -> list[dict]:
        """SHOW POOLS / STATS / CLIENTS … on the admin console (simple query protocol: psql)."""
        out = subprocess.run(
            ["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", self.user, "-d", "pgbouncer", "-AF", "\t",
             "-c", f"SHOW {what}"],
            capture_output=True, text=True, timeout=10, check=True,
        ).stdout.splitlines()  # fmt: skip
        head, rows = out[0].split("\t"), [line.split("\t") for line in out[1:] if "\t" in line]
        return [dict(zip(head, row, strict=False)) for row in rows]

    def pool(self) -> dict:
        """This database's pool: client and server connections now, and the peak of server ones."""
        for row in self.show("POOLS"):
            if row.get("database") == self.dbname:
                return row
        return {}

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)  # "safe shutdown": waits for nothing in transaction mode
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        self.log.close()


class Node:
    """One process group, as one host: its own environment and log; stopped with its group."""

    def __init__(self, name: str, command: list[str], env: dict, workdir: Path):
        self.name = name
        self.log_path = workdir / f"{name}.log"
        self.log = open(self.log_path, "w+")  # noqa: SIM115
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                        start_new_session=True)  # fmt: skip

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        self.log.close()


def node_env(name: str, *, database_url: str, pooled: bool, smtp_port: int, site_url: str, **extra) -> dict:
    """The environment of one node: what a host of its own would be given. The shared services
    (PostgreSQL through PgBouncer, Redis, the SMTP relay) are named by URL; nothing else is shared."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DB_CONN_MAX_AGE": "60",  # as the Procfile runs production (to PgBouncer: a client connection)
        "DB_PREPARED_STATEMENTS": "false" if pooled else "true",
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
        "SITE_URL": site_url,
        "DEBUG": "false",
        "NODE_NAME": name,
        "PYTHONPATH": str(ROOT),
        **extra,
    }
    env.pop("DB_SERVER_SIDE_CURSORS", None)  # follows DB_PREPARED_STATEMENTS (config/env.py)
    return env


def web_node(name: str, port: int, env: dict, workdir: Path, *, workers: int = 1, threads: int = 4) -> Node:
    """granian as the Procfile runs it, on 127.0.0.1:`port`; returns once /healthz?scope=web answers."""
    command = [
        sys.executable, "-m", "granian", "--interface", "wsgi", "config.wsgi:application", "--host", "127.0.0.1",
        "--port", str(port), "--workers", str(workers), "--blocking-threads", str(threads), "--backlog", "2048",
        "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    node = Node(name, command, dict(env, PORT=str(port)), workdir)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if not node.alive():
            raise SystemExit(f"{name} ended:\n{node.output()[-3000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz?scope=web", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return node
        except Exception:
            time.sleep(0.3)
    node.stop()
    raise SystemExit(f"{name} did not become healthy within 90 s:\n{node.output()[-3000:]}")


def worker_node(name: str, env: dict, workdir: Path, *, concurrency: int = 2) -> Node:
    queue = env.get("CELERY_QUEUE", "ruamkid")
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "-n", f"{name}@%h", "-Q", queue,
               "-c", str(concurrency), "--without-gossip", "--without-mingle", "--loglevel", "WARNING"]  # fmt: skip
    return Node(name, command, env, workdir)


def beat_node(env: dict, workdir: Path) -> Node:
    command = [sys.executable, "-m", "celery", "-A", "config", "beat", "--loglevel", "WARNING",
               "--schedule", str(workdir / "celerybeat-schedule")]  # fmt: skip
    return Node("beat", command, env, workdir)


class MailCounter:
    """An aiosmtpd handler: every message received, by recipient and Message-ID."""

    def __init__(self):
        self.lock = threading.Lock()
        self.received: list[tuple[str, str, str, bytes]] = []  # (recipient, Message-ID, Subject, raw)

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        entry = (str(message.get("Message-ID", "")), str(message.get("Subject", "")))
        with self.lock:
            for rcpt in envelope.rcpt_tos:
                self.received.append((rcpt.lower(), *entry, envelope.content))
        return "250 OK"

    def confirmations(self) -> list[tuple[str, str, bytes]]:
        """(recipient, Message-ID, raw message) of each confirmation mail received."""
        with self.lock:
            return [(r, m, raw) for r, m, s, raw in self.received if " ".join(s.split()).startswith(CONFIRM_SUBJECTS)]

    def reset(self) -> None:
        with self.lock:
            self.received.clear()


def start_smtp() -> tuple[MailCounter, object, int]:
    from aiosmtpd.controller import Controller

    counter, port = MailCounter(), free_port()
    controller = Controller(counter, hostname="127.0.0.1", port=port, loop=asyncio.new_event_loop())
    controller.start()
    return counter, controller, port


def mail_check(counter: MailCounter, signers: set[str], timeout: float) -> dict:
    """Wait until every signer has a confirmation mail (or `timeout`), then a little longer for a
    second copy; report how many signers got exactly one, and any Message-ID received twice."""
    started = time.monotonic()
    deadline = started + timeout
    while time.monotonic() < deadline:
        if signers <= {r for r, _m, _raw in counter.confirmations()}:
            break
        time.sleep(0.2)
    drained = time.monotonic() - started
    time.sleep(2)  # a copy sent twice would arrive within the worker's next few batches
    mails = counter.confirmations()
    by_rcpt = Counter(r for r, _m, _raw in mails if r in signers)
    by_id = Counter(m for _r, m, _raw in mails)
    return {
        "signers": len(signers), "once": sum(1 for s in signers if by_rcpt[s] == 1),
        "missing": sum(1 for s in signers if not by_rcpt[s]),
        "twice": sum(1 for s in signers if by_rcpt[s] > 1), "ids_twice": sum(1 for n in by_id.values() if n > 1),
        "mails": len(mails), "drained_s": drained,
    }  # fmt: skip


def threshold_moves(petition_id: int) -> dict[str, int]:
    """Audit entries of the threshold moves of one petition, by move name."""
    from workflows.models import AuditEntry

    names = ("require_response", "reach_council_threshold", "close", "reach_threshold_after_close")
    rows = AuditEntry.objects.filter(record_type="petitions.petition", record_id=str(petition_id), name__in=names)
    return dict(Counter(rows.values_list("name", flat=True)))


# --- the load ----------------------------------------------------------------------------------
def run_wrk_pair(ports: list[int], path: str, script: str, args_per_port: list[list[str]], connections: int,
                 workdir: Path) -> dict:  # fmt: skip
    """One wrk per web node, started together (a round-robin over the nodes, as a load balancer
    would spread the clients); the phase ends when both have their answers."""
    lua = workdir / f"phase-{time.monotonic_ns()}.lua"
    lua.write_text(script, encoding="utf-8")
    processes, markers = [], []
    busy0 = _machine_busy()
    started = time.monotonic()
    for port, args in zip(ports, args_per_port, strict=True):
        marker = workdir / f"marker-{time.monotonic_ns()}"
        markers.append(marker)
        command = ["wrk", "-t1", f"-c{max(1, connections // len(ports))}", "-d3600s", "--timeout", "10s", "-s", str(lua),
                   f"http://127.0.0.1:{port}{path}", "--", args[0], str(marker), *args[1:]]  # fmt: skip
        processes.append(subprocess.Popen(command, stdout=subprocess.PIPE, text=True))
    while not all(m.exists() for m in markers):
        for p, marker in zip(processes, markers, strict=True):
            if p.poll() is not None and not marker.exists():
                raise SystemExit(f"wrk ended early:\n{p.stdout.read()}")
        time.sleep(0.02)
    wall, busy = time.monotonic() - started, _machine_busy() - busy0
    results = []
    for p in processes:
        p.send_signal(signal.SIGINT)
        out, _ = p.communicate(timeout=60)
        line = next((x for x in out.splitlines() if x.startswith("RESULT ")), None)
        if line is None:
            raise SystemExit(f"wrk printed no result:\n{out}")
        results.append(json.loads(line[len("RESULT ") :]))
    statuses: Counter = Counter()
    for r in results:
        statuses.update({str(k): v for k, v in r["statuses"].items()})
    print(f"  {path}: {sum(int(a[0]) for a in args_per_port)} answers in {wall:.1f} s: {dict(statuses)}", flush=True)
    return {
        "elapsed": max(r["elapsed"] for r in results), "wall": wall, "statuses": dict(statuses), "machine_cpu": busy,
        "p99_us": max(r["p99_us"] for r in results), "p50_us": max(r["p50_us"] for r in results),
    }  # fmt: skip


def _machine_busy() -> float:
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    return (sum(values[:8]) - values[3] - values[4]) / os.sysconf("SC_CLK_TCK")


def halves(items: list, parts: int) -> list[list]:
    return [items[i::parts] for i in range(parts)]


def one_run(ports: list[int], org, users, n: int, connections: int, warmup: int, counter: MailCounter, workdir: Path,
            mail_timeout: float) -> dict:  # fmt: skip
    from bench.petitions_sign import LUA_CONFIRM, LUA_SIGN, last_outbox_id, open_petition, tokens_after
    from petitions.models import Signature
    from petitions.selectors import petition_total

    counter.reset()
    petition = open_petition(org, users)
    sign_path, confirm_path = f"/api/v1/petitions/{petition.pk}/signatures/", "/api/v1/signatures/confirm/"
    tag = f"s{time.time_ns() % 10**9}"
    mark = last_outbox_id()
    per = -(-warmup // len(ports))
    warmed = run_wrk_pair(
        ports, sign_path, LUA_SIGN, [[str(per), f"warm{tag}{i}-"] for i in range(len(ports))], connections, workdir
    )
    warm, mark = tokens_after(petition.pk, mark)
    if not warm:
        raise SystemExit(f"the warm-up signed nothing: statuses {warmed['statuses']}")
    _confirm(ports, confirm_path, warm, connections, workdir, LUA_CONFIRM)

    per = n // len(ports)
    sign = run_wrk_pair(ports, sign_path, LUA_SIGN, [[str(per), f"{tag}{i}-"] for i in range(len(ports))], connections, workdir)
    tokens, _ = tokens_after(petition.pk, mark)
    confirm = _confirm(ports, confirm_path, tokens[: per * len(ports)], connections, workdir, LUA_CONFIRM)
    time.sleep(0.5)  # answers still in flight when wrk was stopped
    signers = set(Signature.objects.filter(petition=petition).values_list("email", flat=True))
    mails = mail_check(counter, {s.lower() for s in signers}, mail_timeout)
    confirmed = Signature.objects.filter(petition=petition, state="confirmed").count()
    return {
        "n": per * len(ports), "sign": sign, "confirm": confirm, "confirmed": confirmed, "total": petition_total(petition.pk),
        "moves": threshold_moves(petition.pk), "mails": mails, "petition": petition.pk,
    }  # fmt: skip


def _confirm(ports, path, tokens, connections, workdir, script) -> dict:
    files = []
    for i, part in enumerate(halves(tokens, len(ports))):
        f = workdir / f"tokens-{time.monotonic_ns()}-{i}.txt"
        f.write_text("\n".join(part) + "\n")
        files.append([str(len(part)), str(f)])
    return run_wrk_pair(ports, path, script, files, connections, workdir)


def right(run: dict) -> bool:
    m = run["mails"]
    return (
        run["confirmed"] == run["total"]
        and m["once"] == m["signers"] and m["ids_twice"] == 0
        and run["moves"].get("require_response") == 1 and run["moves"].get("reach_council_threshold") == 1
        and sum(run["moves"].values()) == 2
    )  # fmt: skip


def rate(run: dict) -> float:
    return run["n"] / (run["sign"]["elapsed"] + run["confirm"]["elapsed"])


# --- one deployment ------------------------------------------------------------------------------
def deployment(args, pooled: bool, org, users, workdir: Path, counter: MailCounter, smtp_port: int) -> dict:
    """Start PgBouncer (when pooled), the web and worker nodes and beat; make the runs; stop them."""
    direct = os.environ["DATABASE_URL"]
    bouncer = PgBouncer(direct, workdir, pool_size=args.pool_size) if pooled else None
    url = bouncer.url if bouncer else direct
    ports = [free_port() for _ in range(args.web_nodes)]
    site = f"http://127.0.0.1:{ports[0]}"
    nodes: list[Node] = []
    runs, pools = [], []
    try:
        for i, port in enumerate(ports):
            name = f"web-{chr(97 + i)}"
            env = node_env(name, database_url=url, pooled=pooled, smtp_port=smtp_port, site_url=site)
            nodes.append(web_node(name, port, env, workdir, workers=args.web_workers, threads=args.threads))
        for i in range(args.worker_nodes):
            name = f"worker-{chr(97 + i)}"
            env = node_env(name, database_url=url, pooled=pooled, smtp_port=smtp_port, site_url=site)
            nodes.append(worker_node(name, env, workdir, concurrency=args.worker_concurrency))
        nodes.append(beat_node(node_env("beat", database_url=url, pooled=pooled, smtp_port=smtp_port, site_url=site), workdir))
        for i in range(args.repeat):
            run = one_run(ports, org, users, args.signatures, args.concurrency, args.warmup, counter, workdir, args.mail_timeout)
            if bouncer:
                pools.append(bouncer.pool())
            label = "PgBouncer" if pooled else "direct"
            print(f"{label} run {i + 1}: {rate(run):,.0f} signatures/s, right: {right(run)}, moves {run['moves']}, "
                  f"mails {run['mails']}", flush=True)  # fmt: skip
            runs.append(run)
        for node in nodes:
            if not node.alive():
                raise SystemExit(f"{node.name} died:\n{node.output()[-3000:]}")
        clients = None
        if bouncer:
            clients = len([c for c in bouncer.show("CLIENTS") if c.get("database") == bouncer.dbname])
    finally:
        for node in reversed(nodes):
            node.stop()
        if bouncer:
            bouncer.stop()
    for node in nodes:
        if "Traceback" in node.output():
            print(f"--- {node.name} logged a traceback:\n{node.output()[-3000:]}", file=sys.stderr)
    return {"runs": runs, "pools": pools, "clients": clients}


def spread(values: list[float], fmt: str = ",.0f") -> str:
    values = sorted(values)
    median = statistics.median(values)
    return f"{median:{fmt}} ({values[0]:{fmt}}–{values[-1]:{fmt}})" if len(values) > 1 else f"{median:{fmt}}"


def report(args, pooled: dict, direct: dict, started: dt.datetime) -> str:
    n = args.signatures

    def row(label, result, ceiling):
        rates = [rate(r) for r in result["runs"]]
        signs = [r["n"] / r["sign"]["elapsed"] for r in result["runs"]]
        confirms = [r["n"] / r["confirm"]["elapsed"] for r in result["runs"]]
        p99 = max(max(r["sign"]["p99_us"], r["confirm"]["p99_us"]) for r in result["runs"]) / 1000
        ok = sum(1 for r in result["runs"] if right(r))
        drained = [r["mails"]["drained_s"] for r in result["runs"]]
        ratio = statistics.median(rates) / ceiling if ceiling else 1
        return (f"| {label} | **{spread(rates)}** | {ratio:.0%} | {spread(signs)} | {spread(confirms)} | {p99:.0f} "
                f"| {ok} of {len(result['runs'])} | {spread(drained, '.1f')} |")  # fmt: skip

    ceiling = statistics.median([rate(r) for r in direct["runs"]]) if direct["runs"] else 0
    lines = [
        SECTION,
        "",
        'The deployment of docs/OPERATIONS.md "Past one machine", on loopback: '
        f"{args.web_nodes} web nodes (granian {args.web_workers} worker × {args.threads} threads each), "
        f"{args.worker_nodes} Celery worker nodes (concurrency {args.worker_concurrency} each) and one beat, each a process",
        "group with its own environment as a host of its own would have; PostgreSQL through PgBouncer "
        f"(Debian's package) in transaction mode, pool of {args.pool_size} server connections, with",
        "`DB_PREPARED_STATEMENTS=false` on every node; the signing flow of bench/petitions_sign.py (sign, then",
        "confirm) split over the two web nodes by one wrk each (what a round-robin load balancer does), with the",
        "petition's thresholds (N/2, N) crossed under load and the confirmation mails sent for real to an SMTP",
        "listener while it runs. The ceiling is the same deployment in the same run with the nodes connected",
        "straight to PostgreSQL (prepared statements on).",
        "",
        "```",
        "DATABASE_URL=postgres://postgres@127.0.0.1:5432/ruamkid_bench REDIS_URL=redis://127.0.0.1:6379/9 \\",
        f"  .venv/bin/python bench/scale_out.py --signatures {n} --repeat {args.repeat}",
        "```",
        "",
        f"Measured {started:%Y-%m-%d %H:%M} UTC on {platform.machine()}, {os.cpu_count()} cores (everything on one box: the",
        f"nodes share its cores), Python {platform.python_version()}; wrk {args.concurrency} keep-alive connections in all, "
        f"{n:,} signatures per run after a warm-up of {args.warmup}; median (min–max) of {args.repeat} run"
        f"{'s' if args.repeat != 1 else ''}.",
        "",
        "| database path | signatures/s (sign + confirm) | of the direct run | sign req/s | confirm req/s | worst p99 ms "
        "| runs right | all confirmation mails in, s after the last confirm |",
        "|---|---|---|---|---|---|---|---|",
        row("PgBouncer, transaction mode", pooled, ceiling),
        row("direct to PostgreSQL (ceiling)", direct, ceiling),
        "",
        '"Runs right" counts the runs in which all of these held: confirmed rows = the published count (the tally',
        "shards); every signer got exactly one confirmation mail and no Message-ID arrived twice; the response move",
        "and the council move each have exactly one audit entry. Per run:",
        "",
        "| path | run | confirmed = count | signers: one mail / none / more | Message-IDs twice "
        "| threshold moves (audit entries) |",
        "|---|---|---|---|---|---|",
    ]
    for label, result in (("PgBouncer", pooled), ("direct", direct)):
        for i, r in enumerate(result["runs"], 1):
            m = r["mails"]
            moves = ", ".join(f"{k} × {v}" for k, v in sorted(r["moves"].items())) or "none"
            lines.append(
                f"| {label} | {i} | {r['confirmed']:,} = {r['total']:,} {'✓' if r['confirmed'] == r['total'] else '✗'} "
                f"| {m['once']:,} / {m['missing']:,} / {m['twice']:,} of {m['signers']:,} | {m['ids_twice']} | {moves} |"
            )
    if pooled["pools"]:
        pool = pooled["pools"][-1]
        lines += [
            "",
            f"PgBouncer after the last run: {pooled['clients']} client connections (the nodes' persistent ones) shared "
            f"{int(pool.get('sv_active', 0)) + int(pool.get('sv_idle', 0)) + int(pool.get('sv_used', 0))} server "
            f"connections (pool size {args.pool_size}); clients that waited for one: {pool.get('cl_waiting', '?')}, "
            f"longest wait {int(pool.get('maxwait', 0) or 0)} s {int(pool.get('maxwait_us', 0) or 0) // 1000} ms.",
        ]
    if args.note:
        lines += ["", args.note]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a run of about 30 s (one small run each)")
    parser.add_argument("--signatures", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=None)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--web-nodes", type=int, default=2)
    parser.add_argument("--web-workers", type=int, default=1)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--worker-nodes", type=int, default=2)
    parser.add_argument("--worker-concurrency", type=int, default=2)
    parser.add_argument("--pool-size", type=int, default=20)
    parser.add_argument("--mail-timeout", type=float, default=120)
    parser.add_argument("--no-direct", action="store_true", help="skip the run straight to PostgreSQL")
    parser.add_argument("--no-docs", action="store_true")
    parser.add_argument("--note", default="")
    args = parser.parse_args()
    # Stopped from outside (timeout, Ctrl-C): the finally blocks stop the nodes and PgBouncer.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    args.signatures = args.signatures or (300 if args.quick else 800)
    args.repeat = args.repeat or (1 if args.quick else 2)

    if not os.environ.get("DATABASE_URL", "").startswith("postgres") or not os.environ.get("REDIS_URL"):
        raise SystemExit("set DATABASE_URL=postgres://… and REDIS_URL=redis://… (a database and Redis db of the bench's own)")
    if shutil.which("wrk") is None:
        raise SystemExit("the bench drives the web nodes with wrk: apt-get install wrk")
    os.environ.setdefault("CELERY_QUEUE", "q_bench_scale")
    os.environ.setdefault("CACHE_PREFIX", "bench_scale")
    ensure_database(os.environ["DATABASE_URL"])
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    import django

    django.setup()
    import redis

    from bench.petitions_sign import bench_org

    redis.Redis.from_url(os.environ["REDIS_URL"]).delete(os.environ["CELERY_QUEUE"])
    org, users = bench_org(args.signatures)
    from petitions.models import PetitionPolicy

    # wrk signs from one address: no burst refusals either (bench_org lifts the other limits).
    PetitionPolicy.objects.filter(organisation=org).update(burst_limit=10**9)
    counter, controller, smtp_port = start_smtp()
    started = dt.datetime.now(dt.UTC)
    try:
        with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
            workdir = Path(tmp)
            Path(tmp).chmod(0o755)
            pooled = deployment(args, True, org, users, workdir, counter, smtp_port)
            direct = {"runs": [], "pools": [], "clients": None}
            if not args.no_direct:
                direct = deployment(args, False, org, users, workdir, counter, smtp_port)
    finally:
        controller.stop()
        redis.Redis.from_url(os.environ["REDIS_URL"]).delete(os.environ["CELERY_QUEUE"])
    text = report(args, pooled, direct, started)
    print(text)
    if not args.no_docs:
        write_section(SECTION, text)
    runs = pooled["runs"] + direct["runs"]
    good = sum(right(r) for r in runs)
    summary_line("scale-out", "runs with counts exact, each mail once, each threshold once (2 web + 2 workers, PgBouncer)",
                 good, f"of {len(runs)}", "all", good == len(runs))  # fmt: skip
    if pooled["runs"] and direct["runs"]:
        through = statistics.median(rate(r) for r in pooled["runs"])
        straight = statistics.median(rate(r) for r in direct["runs"])
        summary_line("scale-out", f"signatures/s through PgBouncer ({through / straight:.0%} of straight to PostgreSQL)",
                     through, "/s", "reported", True, through / straight)  # fmt: skip
    return 0 if good == len(runs) else 1


if __name__ == "__main__":
    sys.exit(main())
