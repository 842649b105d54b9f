"""Scale: the same requests on the demo database and on one holding a national install's data.

Builds its database afresh (DROP + CREATE from a template made once by migrate + seed_demo, remade
when a migration or the demo data changes), measures every target, loads --petitions petitions,
--signatures signatures and --audit audit entries (bench/scale_load.py), and measures the same
targets again. The site runs in granian as bench/reads.py starts it, twice: with its read lane
(the anonymous copies everyone gets in a spike) and with the lane off (READ_CACHE_SECONDS=0: every
request renders, as the first one after a move does, and as a signed-in visitor's always do).

Each target is requested sequentially on a kept-alive connection, `n` times per round, rounds
interleaved; its figure is the median of the round medians with their min–max, loaded beside
empty, and the ratio loaded / empty (goal ≤ 1.2). verify_audit is timed in the bench's process
(workflows.selectors.audit_verify, what `manage.py verify_audit` runs): entries/s.

  BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/ruamkid_bench_scale BENCH_REDIS_URL=redis://127.0.0.1:6379/13 \\
    .venv/bin/python bench/scale.py            # 50,000 petitions, 5 M signatures, 1 M audit entries
    .venv/bin/python bench/scale.py --quick    # 1/50 of those
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import http.client
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import free_port, start_granian, summary_line, write_section  # noqa: E402

SECTION = "## Scale"
GOAL = 1.2
SITE, HEALTH = "config.wsgi:application", "/healthz?scope=web"


# --- the database: a fresh copy of the demo each run ----------------------------------------------
def _template_key() -> str:
    """What the template database was made from: the migrations, the demo seeding, the signing key."""
    digest = hashlib.sha256()
    files = sorted(ROOT.glob("*/migrations/*.py")) + sorted(ROOT.glob("*/demo.py"))
    files += [ROOT / "config/management/commands/seed_demo.py"]
    key = Path(os.environ.get("VAR_DIR", ROOT / "var")) / "audit-signing.key"
    for path in [*files, key]:
        if path.exists():
            digest.update(str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _admin(url: str):
    import psycopg

    return psycopg.connect(urlparse(url)._replace(path="/postgres").geturl(), autocommit=True)


def _drop(conn, name: str) -> None:
    conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [name])
    conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def fresh_database(url: str) -> None:
    """DROP and CREATE the bench database from its template (migrated and seeded); make the template
    first when it is missing or stale."""
    name = urlparse(url).path.lstrip("/")
    template = f"{name}_template"
    key = _template_key()
    with _admin(url) as conn:
        row = conn.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", [template]
        ).fetchone()
        if row is None or row[0] != key:
            print("making the template database (migrate, seed_demo) …", flush=True)
            _drop(conn, template)
            conn.execute(f'CREATE DATABASE "{template}"')
            env = dict(os.environ, DATABASE_URL=urlparse(url)._replace(path=f"/{template}").geturl())
            for command in (["migrate", "-v0"], ["seed_demo", "-v0"]):
                subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)  # noqa: S603
            key = _template_key()  # seed_demo may have made the signing key
            conn.execute(f"COMMENT ON DATABASE \"{template}\" IS '{key}'")
        _drop(conn, name)
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')


# --- the servers and the client ----------------------------------------------------------------------
class Client:
    def __init__(self, port: int):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)

    def get(self, path: str, headers: dict) -> tuple[int, float, float, int]:
        """(status, seconds to the headers, seconds to the last byte, bytes)."""
        for attempt in range(2):
            try:
                began = time.perf_counter()
                self.conn.request("GET", path, headers=headers)
                response = self.conn.getresponse()
                first = time.perf_counter() - began
                size = len(response.read())
                return response.status, first, time.perf_counter() - began, size
            except (OSError, http.client.HTTPException):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
                if attempt:
                    raise
        raise AssertionError


# --- what is measured ----------------------------------------------------------------------------------
def context() -> dict:
    """Ids, the staff sessions and the numbers the targets need, read from the database now."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.contrib.sessions.backends.db import SessionStore

    from accounts.models import Organisation
    from opendata.ita import current_fiscal_year
    from petitions.models import Kind, Petition, State
    from petitions.selectors import petitions_public
    from workflows.paging import PAGE_SIZE

    hot = Petition.objects.filter(state=State.OPEN, kind=Kind.GENERAL).order_by("pk").first()
    ordinance = Petition.objects.filter(state=State.OPEN, kind=Kind.ORDINANCE).order_by("pk").first()
    open_count = petitions_public(states=[State.OPEN]).count()
    sessions = {}
    for email in ("moderator@example.com", "clerk@example.com"):
        user = get_user_model().objects.get(email=email)
        store = SessionStore()
        store[SESSION_KEY], store[BACKEND_SESSION_KEY] = str(user.pk), "django.contrib.auth.backends.ModelBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        sessions[email.split("@")[0]] = f"sessionid={store.session_key}"
    return {
        "hot": hot.pk, "ordinance": ordinance.pk, "org": Organisation.objects.order_by("pk").first().slug,
        "last_page": max(1, -(-open_count // PAGE_SIZE)), "year": current_fiscal_year(), "sessions": sessions,
    }  # fmt: skip


def targets(c: dict, *, quick: bool) -> list[tuple[str, str, str, dict, int, str]]:
    """(group, label, path, headers, requests per round, lane: "both" | "off")."""
    hot, org, year = c["hot"], c["org"], c["year"]
    staff = {"Cookie": c["sessions"]["clerk"]}
    mod = {"Cookie": c["sessions"]["moderator"]}
    n_hot, n_list, n_export = (10, 5, 2) if quick else (30, 10, 3)
    rows = [
        ("hot", "petition page", f"/petitions/{hot}/", {}, n_hot, "both"),
        ("hot", "petition page, signed in (staff)", f"/petitions/{hot}/", mod, n_hot, "off"),
        ("hot", "count", f"/api/v1/petitions/{hot}/count/", {}, n_hot, "both"),
        ("hot", "petition API detail", f"/api/v1/petitions/{hot}/", {}, n_hot, "both"),
        ("hot", "home", "/", {}, n_hot, "both"),
        ("hot", "petition list", "/petitions/", {}, n_hot, "both"),
        ("lists", "list, last page of open", f"/petitions/?page={c['last_page']}", {}, n_list, "off"),
        ("lists", "list, closed, 10 a page", "/petitions/?state=closed&page_size=10", {}, n_list, "off"),
        ("lists", "list, most_supported", "/petitions/?ordering=most_supported", {}, n_list, "off"),
        ("lists", "list, waiting=response", "/petitions/?waiting=response", {}, n_list, "off"),
        ("lists", "list, waiting=council", "/petitions/?waiting=council", {}, n_list, "off"),
        ("lists", "list, village 3, most_in_village", "/petitions/?village=3&ordering=most_in_village", {}, n_list, "off"),
        ("lists", "list, search สะพาน", "/petitions/?q=%E0%B8%AA%E0%B8%B0%E0%B8%9E%E0%B8%B2%E0%B8%99", {}, n_list, "off"),
        ("lists", "API list", "/api/v1/petitions/", {}, n_list, "off"),
        ("lists", "API list, most_supported", "/api/v1/petitions/?ordering=most_supported", {}, n_list, "off"),
        ("lists", "API list, village 3", "/api/v1/petitions/?village=3", {}, n_list, "off"),
        (
            "lists",
            "API list, search สะพาน",
            "/api/v1/petitions/?q=%E0%B8%AA%E0%B8%B0%E0%B8%9E%E0%B8%B2%E0%B8%99",
            {},
            n_list,
            "off",
        ),
        ("lists", "moderation queue (staff)", "/petitions/moderation/", mod, n_list, "off"),
        ("lists", "signature review (staff)", f"/petitions/{hot}/signatures/", mod, n_list, "off"),
        ("exports", "open data: the petition's row", f"/open-data/petitions.csv?petition={hot}", {}, n_export, "off"),
        ("exports", "open data: its villages", f"/open-data/signatures-by-village.csv?petition={hot}", {}, n_export, "off"),
        ("exports", "open data: its hours", f"/open-data/signatures-by-hour.csv?petition={hot}", {}, n_export, "off"),
        (
            "exports",
            "open data: the organisation's petitions",
            f"/open-data/petitions.csv?organisation={org}",
            {},
            n_export,
            "off",
        ),
        ("exports", "open data index", "/open-data/", {}, n_export, "off"),
        ("exports", "statistics", "/statistics/", {}, n_export, "off"),
        ("exports", "ITA evidence (CSV)", f"/open-data/ita/{year}.csv?organisation={org}", {}, n_export, "off"),
        ("exports", "ITA report", f"/open-data/ita/{year}/?organisation={org}", {}, n_export, "off"),
        ("exports", "ordinance filing CSV (staff)", f"/petitions/{c['ordinance']}/filing.csv", staff, n_export, "off"),
    ]
    return rows


def measure(args, ports: dict, c: dict) -> dict:
    """{(label, lane): {"rounds": [median s], "first": [s], "bytes": n, "status": s}}."""
    clients = {lane: Client(port) for lane, port in ports.items()}
    plan = []
    for group, label, path, headers, n, lanes in targets(c, quick=args.quick):
        for lane in ("on", "off") if lanes == "both" else ("off",):
            plan.append((group, label, path, headers, n, lane))
    results: dict = {}
    for _group, _label, path, headers, _n, lane in plan:  # warm the processes and copies
        for _ in range(args.workers):
            clients[lane].get(path, headers)
    for _round in range(args.rounds):
        for group, label, path, headers, n, lane in plan:
            samples, firsts = [], []
            for _ in range(n):
                status, first, total, size = clients[lane].get(path, headers)
                samples.append(total)
                firsts.append(first)
            entry = results.setdefault((label, lane), {"group": group, "path": path, "rounds": [], "first": [], "status": set()})
            entry["rounds"].append(statistics.median(samples))
            entry["first"].append(statistics.median(firsts))
            entry["status"].add(status)
            entry["bytes"] = size
    return results


def verify_rate(repeat: int) -> dict:
    from django.db import connection

    from workflows.selectors import audit_verify

    times, entries, ok = [], 0, True
    for _ in range(repeat):
        began = time.perf_counter()
        report = audit_verify()
        times.append(time.perf_counter() - began)
        entries, ok = report.entries, ok and report.ok
    connection.close()
    return {"seconds": times, "entries": entries, "ok": ok}


def run_phase(args, env: dict, name: str) -> tuple[dict, dict, dict]:
    import django.db

    django.db.connections.close_all()
    # A cache prefix of the phase's own: the servers start with no cached count, page or copy.
    env = dict(env, CACHE_PREFIX=f"bench_scale_{name}_{time.time_ns()}")
    c = context()
    ports = {"on": free_port(), "off": free_port()}
    servers = [
        start_granian(SITE, ports["on"], args.workers, args.threads, env, HEALTH),
        start_granian(SITE, ports["off"], args.workers, args.threads, dict(env, READ_CACHE_SECONDS="0"), HEALTH),
    ]
    try:
        print(f"measuring ({name}) …", flush=True)
        results = measure(args, ports, c)
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=30)
    print(f"verify_audit ({name}) …", flush=True)
    verify = verify_rate(3 if name == "empty" else 1)
    return results, verify, c


# --- the report --------------------------------------------------------------------------------------
def _ms(seconds: float) -> str:
    ms = seconds * 1000
    return f"{ms:,.0f}" if ms >= 100 else f"{ms:.1f}"


def _figure(values: list[float]) -> str:
    return f"{_ms(statistics.median(values))} ({_ms(min(values))}–{_ms(max(values))})"


def report(args, empty: dict, loaded: dict, verify: tuple[dict, dict], load: dict, started, counts: dict, note: str) -> str:
    import django

    t = load["timings"]
    lines = [
        SECTION,
        "",
        "The same requests on the demo database and on one holding a national install's data (bench/scale.py;",
        "the loader is bench/scale_load.py). The site runs in granian as for the hot reads, twice: through its",
        "read lane (what anonymous visitors get in a spike) and with the lane off (`READ_CACHE_SECONDS=0`: every",
        "request renders, as the first after a move does and a signed-in visitor's always do). Each target is",
        f"requested one at a time on a kept-alive connection, {args.rounds} rounds; a figure is the median of the round",
        "medians in ms, with their min–max; ratio = loaded / empty, goal ≤ 1.2.",
        "",
        "```",
        "BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/ruamkid_bench_scale BENCH_REDIS_URL=redis://127.0.0.1:6379/13 \\",
        "  .venv/bin/python bench/scale.py" + (" --quick" if args.quick else ""),
        "```",
        "",
        f"Measured {started:%Y-%m-%d %H:%M} UTC on {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, Django {django.get_version()}, PostgreSQL {counts['pg']}; granian {args.workers} × "
        f"{args.threads}.",
        "",
        f"Loaded: {counts['petitions']:,} petitions in {counts['organisations']} organisations, {counts['signatures']:,} "
        f"signatures ({counts['confirmed']:,} confirmed; {counts['hot_signatures']:,} on the measured petition), "
        f"{counts['tally_rows']:,} tally rows, {counts['audit']:,} audit entries, {counts['users']:,} accounts. "
        f"Load: {t['total']:.0f} s (petitions {t.get('petitions', 0):.0f} s, signatures {t.get('signatures', 0):.0f} s, "
        f"their indexes {t.get('signature indexes', 0):.0f} s, tallies {t.get('tallies', 0):.0f} s, audit entries "
        f"{t.get('audit', 0):.0f} s, VACUUM ANALYZE {t.get('vacuum analyze', 0):.0f} s).",
        "",
        "| group | request | lane | empty, ms | loaded, ms | **ratio** | goal ≤ 1.2 |",
        "|---|---|---|---|---|---|---|",
    ]
    missed = []
    for (label, lane), e in empty.items():
        lo = loaded.get((label, lane))
        if lo is None:
            continue
        ratio = statistics.median(lo["rounds"]) / statistics.median(e["rounds"])
        verdict = "met" if ratio <= GOAL else "**missed**"
        if ratio > GOAL:
            missed.append(f"{label} ({lane})")
        status = "" if lo["status"] == {200} and e["status"] == {200} else f" (HTTP {sorted(e['status'])}/{sorted(lo['status'])})"
        lines.append(
            f"| {e['group']} | {label}{status} | {'read lane' if lane == 'on' else 'rendered'} | {_figure(e['rounds'])} | "
            f"{_figure(lo['rounds'])} | **{ratio:.2f}** | {verdict} |"
        )
    (ve, vl) = verify
    rate_e = ve["entries"] / statistics.median(ve["seconds"])
    rate_l = vl["entries"] / statistics.median(vl["seconds"])
    lines += [
        "",
        f"verify_audit (workflows.selectors.audit_verify, the chain, its checkpoints, published records and signature logs): "
        f"empty {ve['entries']:,} entries in {_figure(ve['seconds'])} ms ({rate_e:,.0f} entries/s), loaded "
        f"**{vl['entries']:,} entries in {statistics.median(vl['seconds']):,.1f} s: {rate_l:,.0f} entries/s** "
        f"(ratio of rates {rate_l / rate_e:.2f}); {'OK' if ve['ok'] and vl['ok'] else 'NOT OK'} both times.",
    ]
    if missed:
        lines += ["", "Missed: " + "; ".join(missed) + "."]
    load_avg = os.getloadavg()
    lines += [
        "",
        f"Load average when written: {load_avg[0]:.1f} / {load_avg[1]:.1f} / {load_avg[2]:.1f} on {os.cpu_count()} cores.",
    ]
    lines += ["", FINDINGS]
    if note:
        lines += ["", note]
    return "\n".join(lines)


FINDINGS = """What the loaded database showed and what was changed (in-process profiles and EXPLAIN ANALYZE on the
full data, 2026-12-07; before → after):

- A petition's open-data rows (`/open-data/petitions.csv?petition=N`, its villages and hours): 856 → 9 ms.
  `petitions.selectors.paper_counts` counted the petition's paper signatures by scanning all its 250,000
  signatures, twice; a partial index `signature_paper_idx` (channel = paper) holds only paper ones.
- The petition page signed in: 473 → 44 ms. "You signed this" (`selectors.signature_of`: user or email)
  scanned them too; partial index `signature_petition_user_idx` (user_id not null). An anonymous online
  signature enters neither index, so the signing statement pays nothing for them.
- `/petitions/` and the lists' default order ("newest"): 161 → 22 ms. Every open petition (20,000) was
  sorted, on disk, for 25 rows; indexes `petition_opened_sort_idx` (COALESCE(opened_at, created_at), id)
  and `petition_opened_idx` (opened_at, id, the Meta ordering of the home page and the open data) are
  read in order instead.
- `/open-data/` linked every public petition one by one (a 4 MB page at 50,000): now the newest 100 of
  each kind, and a note that every record is in the datasets; 471 ms at 1,000 petitions → 102 ms at 50,000.
- `/statistics/` read every tally row (5 million) into Python three times; the database now sums them
  per hour and per village, once. The ITA year list reads the distinct months from SQL, not 50,000 objects.

Still above 1.2 × empty, and why:
- `ordering=most_supported` and `village=N` (page and API): each sorts every public petition by a sum
  over its tally rows (a correlated subquery, 45,000 of them: ~0.8–1.2 s). The fix is a per-petition
  total kept beside the tallies (rolled up every few seconds, as stale as the counts already are) with
  an index; not done here.
- Exports whose output grows with the data (the organisation's petitions, the ordinance filing CSV of
  135,000 signers, the ITA report over a year's petitions, the signature review's counts by state and
  address over 250,000 signatures) take time in proportion to what they hold; they stream, but the
  latency goal cannot hold for them. They are listed so that their rate stays visible.
- PostgreSQL's JIT compiles the big plans above (0.8–1.2 s of the most_supported query on this box);
  an OLTP install may set `jit = off` (ALTER DATABASE … SET jit = off), which the bench does not do.
- verify_audit walks the chain in Python (`AuditEntry.compute_hash` per entry): its rate at 1 M entries
  is the figure above; the empty figure is dominated by fixed costs (checkpoints, published records)."""


def summarise(empty: dict, loaded: dict, verify: dict) -> None:
    """SUMMARY lines for bench/all.py: per group, the worst ratio loaded / empty; verify_audit's rate."""
    worst: dict[str, tuple[float, str]] = {}
    for (label, lane), e in empty.items():
        if (label, lane) in loaded:
            ratio = statistics.median(loaded[(label, lane)]["rounds"]) / statistics.median(e["rounds"])
            name = f"{label} ({'read lane' if lane == 'on' else 'rendered'})"
            worst[e["group"]] = max(worst.get(e["group"], (0.0, "")), (ratio, name))
    for group, (ratio, name) in worst.items():
        summary_line("scale", f"{group}: worst latency loaded / empty, {name}", ratio, "×", "≤ 1.2", ratio <= GOAL)
    rate = verify["entries"] / statistics.median(verify["seconds"])
    summary_line("scale", f"verify_audit at {verify['entries']:,} entries", rate, "entries/s", "report", verify["ok"])


def counts_now() -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("""SELECT (SELECT count(*) FROM petitions_petition), (SELECT count(*) FROM accounts_organisation),
            (SELECT count(*) FROM petitions_signature), (SELECT count(*) FROM petitions_signature WHERE state = 'confirmed'),
            (SELECT count(*) FROM petitions_signaturetally), (SELECT count(*) FROM workflows_auditentry),
            (SELECT count(*) FROM accounts_user), current_setting('server_version')""")
        row = cursor.fetchone()
    keys = ["petitions", "organisations", "signatures", "confirmed", "tally_rows", "audit", "users", "pg"]
    return dict(zip(keys, row, strict=True))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--petitions", type=int, default=50_000)
    parser.add_argument("--signatures", type=int, default=5_000_000)
    parser.add_argument("--audit", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="1/50 of the sizes, fewer requests")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--no-docs", action="store_true")
    parser.add_argument("--note", default="")
    args = parser.parse_args()
    if args.quick:
        args.petitions, args.signatures, args.audit = args.petitions // 50, args.signatures // 50, args.audit // 50
        args.rounds = min(args.rounds, 2)
    # DATABASE_URL when it names a bench database (bench/all.py gives each bench its own), else
    # BENCH_DATABASE_URL (a shell whose DATABASE_URL is its development database).
    given = os.environ.get("DATABASE_URL", "")
    if "bench" in urlparse(given).path:
        url, redis_url = given, os.environ.get("REDIS_URL", "")
    else:
        url, redis_url = os.environ.get("BENCH_DATABASE_URL", ""), os.environ.get("BENCH_REDIS_URL", "")
    if not url.startswith("postgres") or not redis_url:
        raise SystemExit("set BENCH_DATABASE_URL=postgres://… and BENCH_REDIS_URL=redis://… (the bench's own)")
    if "bench" not in urlparse(url).path:
        raise SystemExit(f"the bench DROPs and recreates its database: give it one named …bench…, not {url}")
    os.environ["DATABASE_URL"], os.environ["REDIS_URL"] = url, redis_url
    os.environ.setdefault("CELERY_QUEUE", "q_bench_scale")
    os.environ.setdefault("CACHE_PREFIX", "bench_scale")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["DB_CONN_MAX_AGE"] = os.environ.get("DB_CONN_MAX_AGE", "60")
    began = time.monotonic()
    fresh_database(url)
    import django

    django.setup()
    env = dict(os.environ, DEBUG="false", PYTHONPATH=str(ROOT))
    started = dt.datetime.now(dt.UTC)
    empty, verify_empty, c = run_phase(args, env, "empty")
    print(f"loading {args.petitions:,} petitions, {args.signatures:,} signatures, {args.audit:,} audit entries …", flush=True)
    from bench.scale_load import load

    django.db.connections.close_all()
    loaded_info = load(url, petitions=args.petitions, signatures=args.signatures, audit=args.audit, hot_petition=c["hot"])
    loaded, verify_loaded, _c = run_phase(args, env, "loaded")
    counts = counts_now()
    from petitions.models import Signature

    counts["hot_signatures"] = Signature.objects.filter(petition_id=c["hot"]).count()
    text = report(args, empty, loaded, (verify_empty, verify_loaded), loaded_info, started, counts, args.note)
    print(text)
    summarise(empty, loaded, verify_loaded)
    print(f"(whole run {time.monotonic() - began:.0f} s)")
    if not args.no_docs:
        write_section(SECTION, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
