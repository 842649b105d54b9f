"""Hot reads: the pages and API answers everyone refreshes in a spike, beside their ceiling.

Starts two granian servers as the Procfile runs the web (2 workers × 4 threads by default, DEBUG
off, persistent connections): the site (config.wsgi, with its read lane) and the ceiling app
(bench/ceiling.py: Django with no middleware, a view returning "ok"). Then, in each repeat, drives
every target in turn with wrk (keep-alive connections, --latency for p99), the bare view first:

  ceiling  GET /bare/ on the ceiling app
  targets  GET /petitions/<id>/, /petitions/<id>/ (English), /, /petitions/, /consultations/,
           /consultations/<id>/, /api/v1/petitions/<id>/, its count/, the widget, /api/v1/petitions/
           on the site, anonymously

While the site's targets run, a signer posts signatures to the same petition at --sign-rate per
second (the reads are measured with signing going on, and the count they show moves). Each
figure is reported as its median over the repeats, its spread (min–max), and its ratio to the
bare view measured in the same repeat. Writes the "## Hot reads" section of docs/PERFORMANCE.md.

  DATABASE_URL=postgres://postgres@127.0.0.1:5432/ruamkid_bench REDIS_URL=redis://127.0.0.1:6379/9 \\
    .venv/bin/python bench/reads.py --repeat 3
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import ensure_ceiling_table, ensure_database, free_port, start_granian, summary_line, write_section  # noqa: E402

SECTION = "## Hot reads"
GOAL = 0.80


def setup():
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    import django

    django.setup()
    from django.core.management import call_command

    from consultations.models import Consultation
    from petitions.models import Petition, PetitionPolicy

    call_command("migrate", verbosity=0)
    # The demo's petitions and consultations (another bench may have left only its own petitions here).
    if not (Petition.objects.filter(state="open").exists() and Consultation.objects.exists()):
        call_command("seed_demo", verbosity=0)
    petition = Petition.objects.filter(state="open").order_by("pk").first()
    # The signer posts from one address: lift the per-address limits of its organisation.
    PetitionPolicy.objects.filter(organisation_id=petition.organisation_id).update(
        ip_limit=10**9, ip_review_limit=10**9, petition_limit=10**9
    )
    ensure_ceiling_table()
    return petition.pk, Consultation.objects.order_by("pk").values_list("pk", flat=True).first()


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def wrk(url: str, args, headers: dict | None = None) -> dict:
    command = ["wrk", "-t2", f"-c{args.connections}", f"-d{args.seconds}s", "--latency", "--timeout", "10s"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout  # noqa: S603
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rate": rate, "p99_ms": p99, "non_2xx": int(errors.group(1)) if errors else 0, "url": url}


class Signer(threading.Thread):
    """Posts signatures (JSON, the API's sign endpoint) at about `rate` per second until stopped."""

    def __init__(self, port: int, petition_id: int, rate: float):
        super().__init__(daemon=True)
        self.port, self.path, self.rate = port, f"/api/v1/petitions/{petition_id}/signatures/", rate
        self.stop = threading.Event()
        self.sent = self.accepted = 0

    def run(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        start = time.monotonic()
        while not self.stop.is_set():
            body = json.dumps({
                "name": f"ผู้ลงชื่อ {self.sent}", "email": f"reader-bench-{time.time_ns()}@bench.example.org",
                "village": 1 + self.sent % 5, "consent": True,
            })  # fmt: skip
            try:
                conn.request("POST", self.path, body, {"Content-Type": "application/json"})
                response = conn.getresponse()
                response.read()
                self.accepted += response.status in (200, 201, 202)
            except OSError:
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
            self.sent += 1
            wait = start + self.sent / self.rate - time.monotonic()
            if wait > 0:
                time.sleep(wait)


def targets(site: int, petition_id: int, consultation_id: int) -> list:
    base = f"http://127.0.0.1:{site}"
    return [
        ("GET /petitions/{id}/", f"{base}/petitions/{petition_id}/", None),
        ("GET /petitions/{id}/ (English)", f"{base}/petitions/{petition_id}/", {"Cookie": "django_language=en"}),
        ("GET /", f"{base}/", None),
        ("GET /petitions/", f"{base}/petitions/", None),
        ("GET /consultations/", f"{base}/consultations/", None),
        ("GET /consultations/{id}/", f"{base}/consultations/{consultation_id}/", None),
        ("GET /api/v1/petitions/{id}/", f"{base}/api/v1/petitions/{petition_id}/", None),
        ("GET /api/v1/petitions/{id}/count/", f"{base}/api/v1/petitions/{petition_id}/count/", None),
        ("GET /petitions/{id}/widget/", f"{base}/petitions/{petition_id}/widget/", None),
        ("GET /api/v1/petitions/", f"{base}/api/v1/petitions/", None),
    ]


def warm_up(args, site: int, ceiling: int, petition_id: int, consultation_id: int) -> None:
    """One second of each figure first, not recorded: every process loads its templates,
    translations and connections before the first measured second."""
    short = argparse.Namespace(**{**vars(args), "seconds": 1})
    wrk(f"http://127.0.0.1:{ceiling}/bare/", short)
    for _label, url, headers in targets(site, petition_id, consultation_id):
        wrk(url, short, headers)


def one_repeat(args, site: int, ceiling: int, petition_id: int, consultation_id: int) -> dict:
    results = {"bare view (ceiling)": wrk(f"http://127.0.0.1:{ceiling}/bare/", args)}
    signer = Signer(site, petition_id, args.sign_rate) if args.sign_rate > 0 else None
    if signer:
        signer.start()
    began = time.monotonic()
    try:
        for label, url, headers in targets(site, petition_id, consultation_id):
            results[label] = wrk(url, args, headers)
    finally:
        if signer:
            signer.stop.set()
            signer.join(timeout=15)
    elapsed = time.monotonic() - began
    results["_signing"] = {"sent": signer.sent if signer else 0, "accepted": signer.accepted if signer else 0, "seconds": elapsed}
    return results


def missed(ratio: float, p99: float) -> str:
    """By how much a figure misses: the ratio's points under 80%, the p99 over 50 ms."""
    parts = [f"ratio {(GOAL - ratio) * 100:.0f} points short"] if ratio < GOAL else []
    parts += [f"p99 {p99:.0f} ms, {p99 - 50:.0f} ms over 50"] if p99 >= 50 else []
    return "missed: " + ", ".join(parts)


def report(args, repeats: list[dict], started: dt.datetime) -> str:
    labels = [k for k in repeats[0] if not k.startswith("_")]
    import django

    lines = [
        SECTION,
        "",
        "Anonymous reads of the pages everyone refreshes in a spike, against the ceiling of a bare Django view",
        '(no middleware, a view returning "ok") served by the same granian in the same run (bench/reads.py).',
        "The site answers them through its read lane (workflows/readcache.py): a per-process copy of each",
        "anonymous answer, at most READ_CACHE_SECONDS (2 s) old, dropped within 0.5 s of any audited act; the",
        "petition page says how old its count may be. Signing runs at the same time (a client posting",
        f"signatures to the same petition at about {args.sign_rate:g}/s), so the copies are remade as counts move.",
        "",
        "Reproduce (its own database and Redis db; seeds the demo data if the database has none):",
        "",
        "```",
        "DATABASE_URL=postgres://postgres@127.0.0.1:5432/ruamkid_bench REDIS_URL=redis://127.0.0.1:6379/9 \\",
        f"  .venv/bin/python bench/reads.py --repeat {args.repeat} --seconds {args.seconds}",
        "```",
        "",
        f"Measured {started:%Y-%m-%d %H:%M} UTC on {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, Django {django.get_version()}; granian {args.workers} workers × {args.threads} "
        f"threads; wrk 2 threads × {args.connections} connections, {args.seconds} s per figure, {args.repeat} repeats.",
        "",
        "| figure | req/s (median) | spread (min–max) | p99 ms (median) | ratio to bare view (median) | goal ≥ 80% |",
        "|---|---|---|---|---|---|",
    ]
    for label in labels:
        rates = [r[label]["rate"] for r in repeats]
        p99 = statistics.median(r[label]["p99_ms"] for r in repeats)
        ratios = [r[label]["rate"] / r["bare view (ceiling)"]["rate"] for r in repeats]
        ratio = statistics.median(ratios)
        verdict = "ceiling" if label.startswith("bare") else ("met" if ratio >= GOAL and p99 < 50 else missed(ratio, p99))
        lines.append(
            f"| {label} | {statistics.median(rates):,.0f} | {min(rates):,.0f}–{max(rates):,.0f} | {p99:.1f} | "
            f"{ratio * 100:.0f}% | {verdict} |"
        )
    signing = [r["_signing"] for r in repeats]
    accepted = sum(s["accepted"] for s in signing)
    seconds = sum(s["seconds"] for s in signing)
    non_2xx = sum(r[label]["non_2xx"] for r in repeats for label in labels)
    lines += [
        "",
        f"Signatures accepted while the reads ran: {accepted:,} in {seconds:,.0f} s ({accepted / max(seconds, 1):.0f}/s). "
        f"Non-2xx answers to the reads: {non_2xx}.",
    ]
    load = os.getloadavg()
    lines += [
        "",
        f"Load average when the report was written: {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1 / 5 / 15 min) on "
        f"{os.cpu_count()} cores. The ratios compare figures of the same run; the p99 latencies are only as quiet as "
        "the machine was (a load above the core count puts every figure's tail, the ceiling's too, behind other work).",
    ]
    if args.note:
        lines += ["", args.note]
    return "\n".join(lines)


def write_docs(text: str) -> None:
    write_section(SECTION, text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sign-rate", type=float, default=20)
    parser.add_argument("--no-docs", action="store_true")
    parser.add_argument("--note", default="")
    parser.add_argument("--quick", action="store_true", help="a short run: 3 s per figure, 2 repeats (make bench QUICK=1)")
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.repeat = 3, 2
    if not os.environ.get("DATABASE_URL", "").startswith("postgres") or not os.environ.get("REDIS_URL"):
        raise SystemExit("set DATABASE_URL=postgres://… and REDIS_URL=redis://… (a database and Redis db of the bench's own)")
    if shutil.which("wrk") is None:
        raise SystemExit("the bench drives the servers with wrk: apt-get install wrk")
    os.environ.setdefault("CELERY_QUEUE", "q_bench_reads")
    os.environ.setdefault("CACHE_PREFIX", "bench_reads")
    os.environ["DB_CONN_MAX_AGE"] = os.environ.get("DB_CONN_MAX_AGE", "60")
    ensure_database(os.environ["DATABASE_URL"])
    petition_id, consultation_id = setup()
    env = dict(os.environ, DEBUG="false", PYTHONPATH=str(ROOT))
    site_port, ceiling_port = free_port(), free_port()
    site = start_granian("config.wsgi:application", site_port, args.workers, args.threads, env, "/healthz?scope=web")
    ceiling = start_granian("bench.ceiling:application", ceiling_port, args.workers, args.threads, env, "/bare/")
    started = dt.datetime.now(dt.UTC)
    repeats = []
    try:
        warm_up(args, site_port, ceiling_port, petition_id, consultation_id)
        for i in range(args.repeat):
            result = one_repeat(args, site_port, ceiling_port, petition_id, consultation_id)
            bare = result["bare view (ceiling)"]["rate"]
            page = result["GET /petitions/{id}/"]["rate"]
            print(f"repeat {i + 1}: bare {bare:,.0f} req/s, petition page {page:,.0f} req/s ({page / bare:.0%})", flush=True)
            repeats.append(result)
    finally:
        for server in (site, ceiling):
            server.terminate()
            server.wait(timeout=30)
    text = report(args, repeats, started)
    print(text)
    for label in (k for k in repeats[0] if not k.startswith("_") and not k.startswith("bare")):
        ratio = statistics.median(r[label]["rate"] / r["bare view (ceiling)"]["rate"] for r in repeats)
        p99 = statistics.median(r[label]["p99_ms"] for r in repeats)
        summary_line("hot reads", f"{label} / bare view", ratio * 100, "%", "≥ 80% of the bare view, p99 < 50 ms",
                     ratio >= GOAL and p99 < 50, ratio)  # fmt: skip
    if not args.no_docs:
        write_docs(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
