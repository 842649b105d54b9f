"""Ballots over HTTP: many voters cast, then change, their ballot at once, beside the insert ceiling.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ruamkid_bench REDIS_URL=redis://127.0.0.1:6379/9 \\
        .venv/bin/python bench/consultations_ballots.py [--quick] [--no-docs]

What it does: migrates the given database, makes an organisation "bench-ballots" with N resident
accounts (confirmed emails, memberships, one API token each; kept between runs), starts two
granian servers as the Procfile runs the web (2 workers × 4 threads, DEBUG off, persistent
connections): the site (config.wsgi, whose ballot lane serves a token-authenticated PUT of a
ballot) and the ceiling app (bench/ceiling.py). Then, in each repeat, on a fresh consultation in
its voting stage (single choice, three alternatives), drives with wrk (one thread, C keep-alive
connections, each request with its own voter's token):

  ceiling  POST /insert/ on the ceiling app (one INSERT of one row through Django), for --seconds
  cast     N × PUT /api/v1/consultations/<id>/ballot/  every voter's first ballot
  change   N × PUT /api/v1/consultations/<id>/ballot/  every voter changes to another alternative

A round ends when its N-th answer arrives. After each repeat the tally (selectors.tally) must equal
what the voters chose last, with one ballot and one choice per voter (the bench exits 1 if not).
Reports each figure's median (min–max) over the repeats, its p99, and its ratio to the insert
ceiling of the same repeat, and writes docs/PERFORMANCE.md "## Consultation ballots".
--quick: 2 short repeats (about 30 s). --cleanup removes the bench's users and consultations.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    ensure_ceiling_table,
    free_port,
    http_bench_env,
    load_line,
    start_granian,
    summary_line,
    write_section,
)
from bench.petitions_sign import LUA_COMMON, LUA_INSERT, run_wrk  # noqa: E402

SECTION = "## Consultation ballots"
GOAL = 0.25
EMAIL_DOMAIN = "ballots.bench.example.org"
TITLE = "bench: ballots"

# Each line of the voters file is "<token> <alternative id>"; request k sends line k (wrapping:
# a request past the N-th, in flight when wrk is stopped, repeats a voter's choice of the round).
LUA_BALLOT = (
    LUA_COMMON
    + r"""
local voters, sent, path = {}, 0, ""
init = function(args)
  wanted = tonumber(args[1]); marker = args[2]; path = args[4]
  for line in io.lines(args[3]) do
    local token, alt = line:match("(%S+) (%S+)")
    voters[#voters + 1] = {token, '{"alternative_ids": [' .. alt .. ']}'}
  end
end
request = function()
  begin()
  sent = sent + 1
  local v = voters[(sent - 1) % #voters + 1]
  return wrk.format("PUT", path, {["Content-Type"] = "application/json", ["Authorization"] = "Token " .. v[1],
    ["Accept-Language"] = "th"}, v[2])
end
"""
)


def setup(voters: int):
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from accounts.models import Membership, Organisation, Role, User

    call_command("migrate", verbosity=0)
    ensure_ceiling_table()
    org, _ = Organisation.objects.get_or_create(slug="bench-ballots", defaults={"name": "เทศบาลทดสอบการลงคะแนน"})
    have = User.objects.filter(email__endswith="@" + EMAIL_DOMAIN).count()
    now = timezone.now()
    User.objects.bulk_create(
        [User(email=f"v{i}@{EMAIL_DOMAIN}", password="!", email_confirmed_at=now) for i in range(have, voters)], batch_size=2000
    )
    users = list(User.objects.filter(email__endswith="@" + EMAIL_DOMAIN).order_by("id")[:voters])
    members = set(Membership.objects.filter(organisation=org, user__in=users).values_list("user_id", flat=True))
    Membership.objects.bulk_create(
        [Membership(user=u, organisation=org, role=Role.RESIDENT) for u in users if u.pk not in members], batch_size=2000
    )
    tokens = dict(Token.objects.filter(user__in=users).values_list("user_id", "key"))
    new = [Token(user=u, key=secrets.token_hex(20)) for u in users if u.pk not in tokens]
    Token.objects.bulk_create(new, batch_size=2000)
    tokens.update({t.user_id: t.key for t in new})
    return org, [(u.pk, tokens[u.pk]) for u in users]


def fresh_consultation(org):
    from consultations.models import Alternative, Consultation, State

    c = Consultation.objects.create(organisation=org, title=TITLE, level="consult")
    Consultation.objects.filter(pk=c.pk).update(state=State.DELIBERATION)  # the bench measures voting only
    alts = [Alternative.objects.create(consultation=c, title=t, body="", by_staff=True).pk for t in ("ก", "ข", "ค")]
    return c, alts


def round_file(workdir: Path, voters, alts, shift: int) -> tuple[Path, dict[int, int]]:
    """Voter i chooses alts[(i + shift) % 3]; returns the file and what the tally must then be."""
    path = workdir / f"voters-{shift}.txt"
    expected: dict[int, int] = {}
    lines = []
    for i, (_user_id, token) in enumerate(voters):
        alt = alts[(i + shift) % 3]
        lines.append(f"{token} {alt}")
        expected[alt] = expected.get(alt, 0) + 1
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, expected


def tally_exact(c, n: int, expected: dict[int, int]) -> tuple[bool, dict]:
    from consultations.models import BallotChoice
    from consultations.selectors import tally

    time.sleep(0.5)  # answers still in flight when wrk was stopped
    got = tally(c)
    choices = BallotChoice.objects.filter(ballot__consultation=c).count()
    return got == {"ballots": n, "counts": expected} and choices == n, got


def one_repeat(args, org, voters, site: int, ceiling: int, server_pid: int, workdir: Path) -> dict:
    n = len(voters)
    insert_n = int(args.insert_rate_guess * args.seconds)
    insert = run_wrk(f"http://127.0.0.1:{ceiling}/insert/", LUA_INSERT, [str(insert_n)], args.connections, server_pid, workdir)
    c, alts = fresh_consultation(org)
    path = f"/api/v1/consultations/{c.pk}/ballot/"
    url = f"http://127.0.0.1:{site}{path}"
    casts, _ = round_file(workdir, voters, alts, 0)
    changes, expected = round_file(workdir, voters, alts, 1)
    cast = run_wrk(url, LUA_BALLOT, [str(n), str(casts), path], args.connections, server_pid, workdir)
    cast_ok, cast_tally = tally_exact(c, n, round_file(workdir, voters, alts, 0)[1])
    change = run_wrk(url, LUA_BALLOT, [str(n), str(changes), path], args.connections, server_pid, workdir)
    change_ok, change_tally = tally_exact(c, n, expected)
    return {
        "insert": {"rate": insert_n / insert["elapsed"], "p99_ms": insert["p99_us"] / 1000, "statuses": insert["statuses"]},
        "cast": {"rate": n / cast["elapsed"], "p99_ms": cast["p99_us"] / 1000, "statuses": cast["statuses"],
                 "cpu_ms": {k: v * 1000 / n for k, v in cast["cpu"].items()}},
        "change": {"rate": n / change["elapsed"], "p99_ms": change["p99_us"] / 1000, "statuses": change["statuses"],
                   "cpu_ms": {k: v * 1000 / n for k, v in change["cpu"].items()}},
        "exact": cast_ok and change_ok, "tallies": (cast_tally, change_tally),
    }  # fmt: skip


def report(args, repeats: list[dict], started: dt.datetime, n: int) -> str:
    import django

    lines = [
        SECTION,
        "",
        "Voters casting and then changing their ballot over HTTP, each with their own API token, against the",
        "ceiling of one INSERT of one row through Django (bench/ceiling.py `POST /insert/`) served by the same",
        "granian in the same repeat (bench/consultations_ballots.py). A cast or change is served by the ballot",
        "lane in front of Django (workflows.jsonviews.TokenLane, consultations.api.BALLOT_ROUTES): the token",
        "lookup (one query), DRF's user throttle (Redis), then one call of the PL/pgSQL function",
        "`consultations_ballot_cast` (consultations/voting.py) in autocommit, which checks the vote rule, upserts",
        "the ballot, replaces its choices under the ballot's row lock and follows the consultation for the voter.",
        "A refusal writes nothing and goes on to Django (DRF's BallotView), which gives its own answer.",
        "The tally has no counter: it is counted from the choices, one ballot per voter, so it is exact by",
        "construction; the bench checks it after every round of every repeat. Before this, a cast was a",
        "transaction of eight statements behind DRF's whole request cycle; the earlier bench, calling the service",
        "in-process from 8 threads (no HTTP at all), measured 58 casts/s.",
        "",
        "```",
        "DATABASE_URL=postgres://postgres@127.0.0.1:5432/ruamkid_bench REDIS_URL=redis://127.0.0.1:6379/9 \\",
        "  .venv/bin/python bench/consultations_ballots.py" + (" --quick" if args.quick else ""),
        "```",
        "",
        f"Measured {started:%Y-%m-%d %H:%M} UTC on {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, Django {django.get_version()}; granian {args.workers} workers × {args.threads} "
        f"threads; wrk 1 thread × {args.connections} connections; {n:,} voters; {len(repeats)} repeats.",
        "",
        "| figure | req/s (median) | spread (min–max) | p99 ms (median) | ratio to insert (median, min–max) | goal ≥ 25% |",
        "|---|---|---|---|---|---|",
    ]
    for key, label in (("insert", "insert ceiling: POST /insert/"), ("cast", "cast: PUT …/ballot/ (first ballot)"),
                       ("change", "change: PUT …/ballot/ (another alternative)")):  # fmt: skip
        rates = [r[key]["rate"] for r in repeats]
        ratios = [r[key]["rate"] / r["insert"]["rate"] for r in repeats]
        p99 = statistics.median(r[key]["p99_ms"] for r in repeats)
        ratio = statistics.median(ratios)
        verdict = "ceiling" if key == "insert" else ("met" if ratio >= GOAL else f"missed by {(GOAL - ratio) * 100:.0f} points")
        lines.append(
            f"| {label} | {statistics.median(rates):,.0f} | {min(rates):,.0f}–{max(rates):,.0f} | {p99:.1f} | "
            f"{ratio * 100:.0f}% ({min(ratios) * 100:.0f}–{max(ratios) * 100:.0f}%) | {verdict} |"
        )
    exact = all(r["exact"] for r in repeats)
    statuses = {}
    for r in repeats:
        for key in ("cast", "change"):
            for code, count in r[key]["statuses"].items():
                statuses[code] = statuses.get(code, 0) + count
    cpu = {k: statistics.median(r["cast"]["cpu_ms"][k] for r in repeats) for k in ("app", "postgres", "redis", "wrk")}
    lines += [
        "",
        f"Tally after every round: {'**exact** in every repeat' if exact else '**WRONG** (see the bench output)'} "
        f"(ballots = voters, one choice each, counts = what each voter chose last). Answers by status: "
        + ", ".join(f"{code}: {count:,}" for code, count in sorted(statuses.items()))
        + ".",
        "",
        f"CPU per cast (median): app server {cpu['app']:.2f} ms, PostgreSQL {cpu['postgres']:.2f} ms, Redis "
        f"{cpu['redis']:.2f} ms, wrk {cpu['wrk']:.2f} ms.",
        "",
        f"{load_line()} The machine is shared and noisy: compare the ratios, which set each figure beside "
        "the ceiling measured seconds before it in the same repeat.",
    ]
    if args.note:
        lines += ["", args.note]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--voters", type=int, default=4000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=8, help="about how long the ceiling is driven")
    parser.add_argument("--insert-rate-guess", type=float, default=1500, help="sets the ceiling's request count")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--quick", action="store_true", help="2 short repeats (about 30 s)")
    parser.add_argument("--no-docs", action="store_true")
    parser.add_argument("--cleanup", action="store_true", help="remove the bench's users and consultations and stop")
    parser.add_argument("--note", default="")
    args = parser.parse_args()
    if args.quick:
        args.voters, args.repeat, args.seconds = min(args.voters, 1500), 2, 3
    env = http_bench_env("ballots")
    org, voters = setup(args.voters)
    from consultations.models import Consultation

    if args.cleanup:
        from accounts.models import User

        Consultation.objects.filter(title=TITLE).delete()
        User.objects.filter(email__endswith="@" + EMAIL_DOMAIN).delete()
        org.delete()
        return 0
    Consultation.objects.filter(organisation=org, title=TITLE).delete()  # earlier runs' ballots
    site_port, ceiling_port = free_port(), free_port()
    site = start_granian("config.wsgi:application", site_port, args.workers, args.threads, env, "/healthz?scope=web")
    ceiling = start_granian("bench.ceiling:application", ceiling_port, args.workers, args.threads, env, "/bare/")
    started = dt.datetime.now(dt.UTC)
    repeats = []
    try:
        with tempfile.TemporaryDirectory(prefix="bench-ballots-") as tmp:
            workdir = Path(tmp)
            # Warm-up, not recorded: every process loads its code and connections.
            warm = argparse.Namespace(**{**vars(args), "seconds": 1})
            one_repeat(warm, org, voters[: min(len(voters), 300)], site_port, ceiling_port, site.pid, workdir)
            for i in range(args.repeat):
                r = one_repeat(args, org, voters, site_port, ceiling_port, site.pid, workdir)
                repeats.append(r)
                ins = r["insert"]["rate"]
                print(
                    f"repeat {i + 1}: insert {ins:,.0f}/s, cast {r['cast']['rate']:,.0f}/s ({r['cast']['rate'] / ins:.0%}), "
                    f"change {r['change']['rate']:,.0f}/s ({r['change']['rate'] / ins:.0%}), "
                    f"tally {'exact' if r['exact'] else 'WRONG ' + repr(r['tallies'])}, statuses "
                    f"{r['cast']['statuses']} {r['change']['statuses']}",
                    flush=True,
                )
    finally:
        for server in (site, ceiling):
            server.terminate()
            server.wait(timeout=30)
    text = report(args, repeats, started, len(voters))
    print(text)
    exact = all(r["exact"] for r in repeats)
    for key in ("cast", "change"):
        ratio = statistics.median(r[key]["rate"] / r["insert"]["rate"] for r in repeats)
        summary_line("ballots", f"{key}s / insert ceiling (tally {'exact' if exact else 'WRONG'})", ratio * 100, "%",
                     "≥ 25% of the insert ceiling, tally exact", ratio >= GOAL and exact, ratio)  # fmt: skip
    if not args.no_docs:
        write_section(SECTION, text)
    return 0 if all(r["exact"] for r in repeats) else 1


if __name__ == "__main__":
    sys.exit(main())
