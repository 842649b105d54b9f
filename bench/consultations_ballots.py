"""Ballots: N residents cast, then a share of them change, their ballot concurrently on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ruamkid_bench \\
        .venv/bin/python bench/consultations_ballots.py --voters 5000 --threads 16 [--write]

What it does: creates one consultation in its deliberation stage with three alternatives and N
resident accounts (kept between runs, so a second run skips the seeding; --cleanup removes
them), then runs consultations.services.ballot_cast for every voter from a thread pool (each
thread its own connection) and, in a second round, changes the ballot of every third voter.
Reports casts per second and the p50/p95 latency of one cast for each round, checks that the
tally equals what was cast exactly (it exits 1 if not), and with --write puts the numbers in
docs/PERFORMANCE.md (section "## Consultation ballots"). The hot spot measured: a FOR SHARE lock
on the consultation row taken by every cast (so a stage move waits for casts in flight), the
ballot upsert and the replacement of its choices.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import ensure_database  # noqa: E402

EMAIL_DOMAIN = "ballots.bench.example.org"
TITLE = "bench: ballots"


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def seed(voters: int):
    from django.utils import timezone

    from accounts.models import Membership, Organisation, Role, User
    from consultations.models import Alternative, Consultation, State

    org, _ = Organisation.objects.get_or_create(slug="bench-ballots", defaults={"name": "เทศบาลทดสอบ"})
    c = Consultation.objects.filter(organisation=org, title=TITLE).first()
    if c is None:
        c = Consultation.objects.create(organisation=org, title=TITLE, level="consult")
        Consultation.objects.filter(pk=c.pk).update(state=State.DELIBERATION)  # the bench measures voting only
        for title in ("ก", "ข", "ค"):
            Alternative.objects.create(consultation=c, title=title, body="", by_staff=True)
    have = User.objects.filter(email__endswith="@" + EMAIL_DOMAIN).count()
    now = timezone.now()
    new = [User(email=f"v{i}@{EMAIL_DOMAIN}", password="!", email_confirmed_at=now) for i in range(have, voters)]
    User.objects.bulk_create(new, batch_size=2000)
    users = list(User.objects.filter(email__endswith="@" + EMAIL_DOMAIN).order_by("id")[:voters])
    members = set(Membership.objects.filter(organisation=org, user__in=users).values_list("user_id", flat=True))
    Membership.objects.bulk_create(
        [Membership(user=u, organisation=org, role=Role.RESIDENT) for u in users if u.pk not in members], batch_size=2000
    )
    return Consultation.objects.get(pk=c.pk), list(c.alternatives.order_by("id")), users


def run_round(c, users, choose, threads: int) -> tuple[float, list[float]]:
    from django.db import connection

    from consultations import services

    def cast(index_user):
        i, user = index_user
        started = time.perf_counter()
        try:
            services.ballot_cast(consultation=c, actor=user, alternative_ids=[choose(i)])
        finally:
            connection.close()
        return time.perf_counter() - started

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        latencies = list(pool.map(cast, list(enumerate(users))))
    return time.perf_counter() - started, latencies


def describe(name: str, count: int, seconds: float, latencies: list[float]) -> str:
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else latencies * 100
    return f"| {name} | {count} | {seconds:.2f} s | {count / seconds:.0f}/s | {q[49] * 1000:.1f} ms | {q[94] * 1000:.1f} ms |"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--voters", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--write", action="store_true", help="write the numbers into docs/PERFORMANCE.md")
    parser.add_argument("--cleanup", action="store_true", help="remove the bench's users and consultation and stop")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        print("needs DATABASE_URL=postgres://… (a database of its own)", file=sys.stderr)
        return 2
    ensure_database(os.environ["DATABASE_URL"])
    setup_django()
    from accounts.models import Organisation, User
    from consultations.models import Ballot, Consultation
    from consultations.selectors import tally

    if args.cleanup:
        Consultation.objects.filter(title=TITLE).delete()
        User.objects.filter(email__endswith="@" + EMAIL_DOMAIN).delete()
        Organisation.objects.filter(slug="bench-ballots").delete()
        return 0
    c, alts, users = seed(args.voters)
    Ballot.objects.filter(consultation=c).delete()
    changed = alts[1].pk
    rows = [
        describe("cast", len(users), *run_round(c, users, lambda i: alts[i % 3].pk, args.threads)),
    ]
    changers = users[::3]
    rows.append(describe("change", len(changers), *run_round(c, changers, lambda i: changed, args.threads)))
    expected = {a.pk: 0 for a in alts}
    for i in range(len(users)):
        expected[alts[i % 3].pk] += 1
    for i in range(0, len(users), 3):
        expected[alts[i % 3].pk] -= 1
        expected[changed] += 1
    got = tally(c)
    exact = got["ballots"] == len(users) and {k: v for k, v in got["counts"].items() if v} == {
        k: v for k, v in expected.items() if v
    }
    header = "| round | ballots | wall time | throughput | p50 | p95 |\n|---|---|---|---|---|---|"
    table = "\n".join([header, *rows])
    verdict = "tally exact" if exact else "TALLY WRONG"
    where = f"{platform.node()} · {os.cpu_count()} CPUs · PostgreSQL · {args.threads} threads · {verdict}"
    print(table)
    print(where)
    if args.write:
        write_section(table, where, args)
    return 0 if exact else 1


def write_section(table: str, where: str, args) -> None:
    path = ROOT / "docs" / "PERFORMANCE.md"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Performance\n"
    title = "## Consultation ballots"
    body = (
        f"{title}\n\n`bench/consultations_ballots.py --voters {args.voters} --threads {args.threads}`: every voter casts "
        f"once, then every third voter changes their ballot; the tally is checked to be exact.\n\n{table}\n\n{where}\n"
    )
    if title in text:
        start = text.index(title)
        end = text.find("\n## ", start + len(title))
        text = text[:start] + body + (text[end + 1 :] if end != -1 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + body
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
