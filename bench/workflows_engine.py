"""The workflow engine's write path and audit check, on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ruamkid_bench_engine \\
        .venv/bin/python bench/workflows_engine.py --records 2000 --threads 8 --chain 100000

What it does (config.settings_test, so the test-only Ticket machine is available; the bench
database is its own and is emptied at the start with TRUNCATE):
1. serial moves: one thread makes `--records` transitions (submit) one after another;
2. concurrent moves: `--threads` threads make transitions on different records at once (the
   audit chain head is the one row every move locks, so this shows its cost);
3. contention: `--threads` threads race for the same move on one record, repeated; exactly one
   wins each round (checked);
4. deadlines: `--records` due deadlines applied by deadlines_advance();
5. verify_audit over a chain grown to `--chain` entries (entries appended in bulk through
   audit_append, then one full verification), reporting entries per second.
Writes the numbers into docs/PERFORMANCE.md (section "## Workflow engine") unless --no-write.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import ensure_database  # noqa: E402

os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings_test"


def reset():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE workflows_auditentry, workflows_auditchainhead, workflows_deadline, testapp_ticket, "
            "notifications_outboxevent RESTART IDENTITY CASCADE"
        )


def setup_people():
    from accounts.models import Membership, Organisation, User

    org, _ = Organisation.objects.get_or_create(slug="bench-engine", defaults={"name": "เทศบาลทดสอบ"})
    users = {}
    for role in ("moderator", "admin"):
        user, _ = User.objects.get_or_create(email=f"{role}@engine.bench.example.org", defaults={"full_name": role})
        Membership.objects.get_or_create(user=user, organisation=org, role=role)
        users[role] = user
    return org, users


def make_tickets(org, n: int) -> list[int]:
    from tests.testapp.models import Ticket

    Ticket.objects.bulk_create([Ticket(organisation=org, title=f"bench {i}") for i in range(n)], batch_size=2000)
    return list(Ticket.objects.filter(organisation=org, status="new").order_by("-id").values_list("id", flat=True)[:n])


def serial_moves(ids, actor) -> dict:
    from tests.testapp.models import Ticket
    from workflows.services import transition

    started = time.perf_counter()
    for pk in ids:
        transition(Ticket(pk=pk), "submit", actor=actor)
    elapsed = time.perf_counter() - started
    return {"moves": len(ids), "seconds": elapsed, "per_s": len(ids) / elapsed}


def threaded(n_threads: int, work) -> float:
    from django.db import connections

    barrier = threading.Barrier(n_threads)
    errors = []

    def run(i):
        try:
            barrier.wait()
            work(i)
        except Exception as exc:  # reported, not swallowed
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n_threads)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return time.perf_counter() - started


def concurrent_moves(ids, actor, n_threads: int) -> dict:
    from tests.testapp.models import Ticket
    from workflows.services import transition

    chunks = [ids[i::n_threads] for i in range(n_threads)]
    elapsed = threaded(n_threads, lambda i: [transition(Ticket(pk=pk), "assign", actor=actor) for pk in chunks[i]])
    return {"moves": len(ids), "seconds": elapsed, "per_s": len(ids) / elapsed, "threads": n_threads}


def contention(org, users, n_threads: int, rounds: int) -> dict:
    from tests.testapp.models import Ticket
    from workflows.errors import ApplicationError
    from workflows.services import transition

    wins = []
    started = time.perf_counter()
    for _ in range(rounds):
        ticket = transition(Ticket.objects.create(organisation=org, title="race"), "submit", actor=users["moderator"])
        results = [None] * n_threads

        def race(i, pk=ticket.pk, results=results):
            try:
                transition(Ticket(pk=pk), "assign", actor=users["moderator"], expected_version=1)
                results[i] = "won"
            except ApplicationError as exc:
                results[i] = exc.code

        threaded(n_threads, race)
        wins.append(results.count("won"))
    elapsed = time.perf_counter() - started
    assert all(w == 1 for w in wins), wins
    return {"rounds": rounds, "threads": n_threads, "ms_per_round": elapsed / rounds * 1000}


def deadlines(org, n: int) -> dict:
    from django.utils import timezone

    from tests.testapp.models import Ticket
    from workflows.models import Deadline
    from workflows.services import deadlines_advance, transition

    ids = make_tickets(org, n)
    for pk in ids:
        transition(Ticket(pk=pk), "submit", actor=None)
    due = timezone.now() - dt.timedelta(minutes=1)
    Deadline.objects.bulk_create(
        [Deadline(record_type="testapp.ticket", record_id=str(pk), transition="expire", due_at=due) for pk in ids]
    )
    started = time.perf_counter()
    counts = deadlines_advance()
    elapsed = time.perf_counter() - started
    assert counts == {"applied": n, "skipped": 0}, counts
    again = deadlines_advance()
    assert again == {"applied": 0, "skipped": 0}, again
    return {"deadlines": n, "seconds": elapsed, "per_s": n / elapsed}


def grow_chain(org, target: int) -> int:
    from django.db import transaction

    from workflows.models import AuditEntry
    from workflows.services import audit_append

    have = AuditEntry.objects.count()
    batch = 1000
    while have < target:
        with transaction.atomic():
            for _ in range(min(batch, target - have)):
                audit_append(
                    action="moderation", name="bench", actor=None, record_type="bench.x", record_id=1, organisation_id=org.pk
                )
                have += 1
    return have


def verify() -> dict:
    from workflows.selectors import audit_verify

    started = time.perf_counter()
    report = audit_verify()
    elapsed = time.perf_counter() - started
    assert report.ok, report.as_dict()
    return {"entries": report.entries, "seconds": elapsed, "per_s": report.entries / elapsed}


def write_report(r: dict, command: str) -> None:
    path = ROOT / "docs" / "PERFORMANCE.md"
    text = path.read_text() if path.exists() else "# Performance\n\nMeasured by the scripts in bench/ (never by timed tests).\n"
    c, d, v = r["contention"], r["deadlines"], r["verify"]
    rows = "\n".join(
        [
            f"| serial moves, one thread | {r['serial']['per_s']:,.0f} moves/s ({r['serial']['moves']:,} moves) |",
            f"| moves on different records, {r['concurrent']['threads']} threads | {r['concurrent']['per_s']:,.0f} moves/s |",
            f"| {c['threads']} threads racing for one move on one record | exactly 1 winner in each of {c['rounds']} rounds, "
            f"{c['ms_per_round']:,.0f} ms per round |",
            f"| due deadlines applied (`advance_workflows`) | {d['per_s']:,.0f} per second ({d['deadlines']:,}); "
            "second run: 0 changes |",
            f"| **verify_audit** | **{v['per_s']:,.0f} entries/s** ({v['entries']:,} entries in {v['seconds']:.1f} s) |",
        ]
    )
    section = f"""## Workflow engine

`workflows.services.transition()` (row lock, checks, save, hash-chained audit entry, outbox hook, one
transaction), `deadlines_advance()` and `audit_verify()` on PostgreSQL, with the test-only Ticket machine.

Reproduce (a quiet machine; a database of its own, emptied by the bench):

```
{command}
```

| measured {r["when"]} on {r["machine"]} | value |
|---|---|
{rows}

{r.get("note") or ""}

Every move appends to one chain, so moves serialise on the chain head row for the length of the
audit insert; the work before it (record lock, checks, save) runs in parallel across records.

"""
    pattern = re.compile(r"## Workflow engine\n.*?(?=\n## |\Z)", re.S)
    text = pattern.sub(section.rstrip() + "\n", text) if pattern.search(text) else text.rstrip() + "\n\n" + section
    path.write_text(text)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--chain", type=int, default=100_000)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--note", default="", help="a line written under the table (e.g. 'smoke run on a busy machine')")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("set DATABASE_URL to a PostgreSQL database of the bench's own")
    ensure_database(url)

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    reset()
    org, users = setup_people()
    ids = make_tickets(org, args.records)
    r = {
        "when": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
    }
    r["serial"] = serial_moves(ids, users["moderator"])
    print("serial", r["serial"])
    r["concurrent"] = concurrent_moves(ids, users["moderator"], args.threads)
    print("concurrent", r["concurrent"])
    r["contention"] = contention(org, users, args.threads, args.rounds)
    print("contention", r["contention"])
    r["deadlines"] = deadlines(org, args.records)
    print("deadlines", r["deadlines"])
    grow_chain(org, args.chain)
    r["verify"] = verify()
    print("verify", r["verify"])
    if not args.no_write:
        command = (
            "DATABASE_URL=postgres://postgres@127.0.0.1:5432/ruamkid_bench_engine \\\n"
            "  .venv/bin/python bench/workflows_engine.py "
            f"--records {args.records} --threads {args.threads} --chain {args.chain}"
        )
        r["note"] = args.note
        write_report(r, command)
        print("docs/PERFORMANCE.md updated")


if __name__ == "__main__":
    main()
