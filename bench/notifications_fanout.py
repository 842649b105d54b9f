"""Fan-out of one event to N followers through a real Celery worker and a real SMTP listener.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ruamkid_bench REDIS_URL=redis://127.0.0.1:6379/9 \\
        .venv/bin/python bench/notifications_fanout.py --followers 100000

What it does: makes N confirmed users (half Thai, half English) who follow one record (kept
between runs, so a second run skips the seeding), starts `celery -A config worker -P prefork
-c C` against the given Redis with EMAIL_URL pointing at an aiosmtpd listener inside this
process, writes one outbox event in a transaction (the on-commit kick starts the relay) and
waits until the listener has accepted N mails. Reports the relay time (audience, preferences,
N Delivery + N inbox rows), the total time from commit to the last mail and mails per second,
checks that nobody got a mail twice, and writes the numbers into docs/PERFORMANCE.md
(section "## Notification fan-out"). PostgreSQL and Redis are required (use a database and a
Redis db of their own: the bench leaves its users behind for the next run; --cleanup removes them).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import ensure_database, free_port  # noqa: E402

RECORD_TYPE, RECORD_ID = "bench.fanout", "1"
EMAIL_DOMAIN = "fanout.bench.example.org"


class CountingHandler:
    """Accepts every mail and only counts recipients (the bench measures us, not the listener)."""

    def __init__(self):
        self.counts: Counter = Counter()
        self.total = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            for rcpt in envelope.rcpt_tos:
                self.counts[rcpt] += 1
                self.total += 1
        return "250 OK"


def seed(followers: int) -> float:
    from django.utils import timezone

    from accounts.models import User
    from notifications.models import Subscription

    started = time.perf_counter()
    existing = User.objects.filter(email__endswith="@" + EMAIL_DOMAIN).count()
    now = timezone.now()
    batch = []
    for n in range(existing, followers):
        batch.append(
            User(
                email=f"f{n:07d}@{EMAIL_DOMAIN}",
                full_name=f"ผู้ติดตาม {n}",
                language="th" if n % 2 == 0 else "en",
                password="!bench-unusable",
                email_confirmed_at=now,
            )  # fmt: skip
        )
        if len(batch) == 10_000:
            User.objects.bulk_create(batch, batch_size=5000)
            batch = []
    User.objects.bulk_create(batch, batch_size=5000)
    Subscription.objects.filter(record_type=RECORD_TYPE).delete()
    ids = list(User.objects.filter(email__endswith="@" + EMAIL_DOMAIN).order_by("id").values_list("id", flat=True)[:followers])
    Subscription.objects.bulk_create(
        (Subscription(user_id=pk, record_type=RECORD_TYPE, record_id=RECORD_ID, auto=True) for pk in ids), batch_size=10_000
    )
    return time.perf_counter() - started


def start_worker(smtp_port: int, concurrency: int, log_path: Path) -> subprocess.Popen:
    env = {**os.environ, "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}"}
    log = open(log_path, "w")  # noqa: SIM115
    process = subprocess.Popen(
        [str(ROOT / ".venv/bin/celery"), "-A", "config", "worker", "-Q", os.environ["CELERY_QUEUE"], "-P", "prefork",
         "-c", str(concurrency), "--without-gossip", "--without-mingle", "--loglevel", "INFO"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if " ready." in log_path.read_text(errors="replace"):
            return process
        if process.poll() is not None:
            break
        time.sleep(0.2)
    raise SystemExit(f"the worker did not start; see {log_path}")


def stop_worker(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def measure_kick(broker, events: int) -> dict:
    """Commit `events` outbox rows one transaction each (no worker yet) and count the relay
    tasks their on-commit kicks queued: the debounce should turn a burst into about one."""
    from django.db import transaction
    from django.utils import timezone

    from notifications.models import OutboxEvent
    from notifications.services import kick_window_open, outbox_write

    queue = os.environ["CELERY_QUEUE"]
    broker.delete(queue)
    kick_window_open()
    started = time.perf_counter()
    for n in range(events):
        with transaction.atomic():
            outbox_write(event="bench.kick", data={"title": f"{n}", "url": "/"}, audience={}, record_type="bench.kick")
    elapsed = time.perf_counter() - started
    tasks = broker.llen(queue)
    # Out of the way of the fan-out measurement: no relay needed for rows without an audience.
    OutboxEvent.objects.filter(record_type="bench.kick", relayed_at__isnull=True).update(relayed_at=timezone.now())
    broker.delete(queue)
    kick_window_open()
    return {"events": events, "seconds": elapsed, "per_s": events / elapsed, "tasks": tasks}


def write_report(result: dict, command: str) -> None:
    path = ROOT / "docs" / "PERFORMANCE.md"
    text = path.read_text() if path.exists() else "# Performance\n\nMeasured by the scripts in bench/ (never by timed tests).\n"
    section = f"""## Notification fan-out

One event to N followers through a real Celery worker (prefork, {result["concurrency"]} processes) on Redis
and Django's SMTP backend to a local aiosmtpd listener, on PostgreSQL. Relay = audience, preferences,
N Delivery rows and N inbox rows in one transaction; then one delivery task per {result["chunk"]}
recipients, each reusing one SMTP connection, each mail marked sent right after the server accepted it.

Reproduce (a quiet machine; its own database and Redis db; the issue's target is `--followers 100000`):

```
{command}
```

| measured {result["when"]} on {result["machine"]} | value |
|---|---|
| followers (mails) | {result["followers"]:,} |
| relay (fan-out rows written) | {result["relay_s"]:.1f} s |
| commit → last mail accepted | {result["total_s"]:.1f} s |
| **mails per second (end to end)** | **{result["mails_per_s"]:,.0f}** |
| mails per second (sending phase only) | {result["send_rate"]:,.0f} |
| mails received twice | {result["duplicates"]} |
| burst of {result["kick"]["events"]:,} commits, one outbox row each | {result["kick"]["per_s"]:,.0f} commits/s |
| relay tasks the burst's on-commit kicks queued | {result["kick"]["tasks"]} |
| deliveries marked sent | {result["sent"]:,} |

{result["note"]}

Where the time goes: per mail, one MIME build (templates are rendered once per language and
event, then the name and unsubscribe token are filled in), one SMTP transaction over the task's
open connection, and one `UPDATE … SET status='sent'` by primary key (committed with
`synchronous_commit=off`, so it does not wait for a disk flush). The per-mail mark is the price
of "a killed worker re-sends nothing it had already handed to the SMTP server"; batching the
marks would be faster and would widen that window.
"""
    pattern = re.compile(r"^## Notification fan-out\n.*?(?=^## |\Z)", re.S | re.M)
    section = section.rstrip() + "\n\n"
    text = pattern.sub(section, text) if pattern.search(text) else text.rstrip() + "\n\n" + section
    text = text.rstrip() + "\n"
    path.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--followers", type=int, default=100_000)
    parser.add_argument("--concurrency", type=int, default=2, help="worker processes (prefork)")
    parser.add_argument("--chunk", type=int, default=500, help="recipients per delivery task")
    parser.add_argument("--timeout", type=float, default=3600)
    parser.add_argument("--kick-events", type=int, default=2000, help="commits in the on-commit kick burst")
    parser.add_argument("--no-write", action="store_true", help="do not update docs/PERFORMANCE.md")
    parser.add_argument("--cleanup", action="store_true", help="delete the bench users afterwards")
    parser.add_argument("--note", default="", help="a line added under the table (e.g. 'smoke run, busy machine')")
    args = parser.parse_args()

    database_url, redis_url = os.environ.get("DATABASE_URL", ""), os.environ.get("REDIS_URL", "")
    if not database_url.startswith("postgres") or not redis_url:
        raise SystemExit("set DATABASE_URL=postgres://… and REDIS_URL=redis://… (a database and a Redis db of the bench's own)")
    os.environ.setdefault("CELERY_QUEUE", "bench_notifications")
    os.environ.setdefault("CACHE_PREFIX", "bench_notifications")
    os.environ["NOTIFICATIONS_CHUNK"] = str(args.chunk)
    os.environ.setdefault("LOG_LEVEL", "ERROR")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    ensure_database(database_url)

    import django

    django.setup()
    import redis
    from aiosmtpd.controller import Controller
    from django.core.management import call_command
    from django.db import transaction

    from notifications.models import Delivery, Notification, OutboxEvent
    from notifications.services import kick_window_open, outbox_write

    call_command("migrate", verbosity=0)
    broker = redis.Redis.from_url(redis_url)
    broker.delete(os.environ["CELERY_QUEUE"], "unacked", "unacked_index")
    kick_window_open()
    print(f"seeding {args.followers:,} followers …", flush=True)
    print(f"  seeded in {seed(args.followers):.1f} s", flush=True)
    # Earlier runs: deliveries cascade, inbox rows keep a null source.
    OutboxEvent.objects.filter(record_type__in=[RECORD_TYPE, "bench.kick"]).delete()
    Notification.objects.filter(source__isnull=True, user__email__endswith="@" + EMAIL_DOMAIN).delete()

    kick = measure_kick(broker, args.kick_events)
    print(f"  {kick['events']:,} commits: {kick['per_s']:,.0f}/s, {kick['tasks']} relay task(s) queued", flush=True)

    handler = CountingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    log_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-notifications-worker-{os.getpid()}.log"
    worker = start_worker(port, args.concurrency, log_path)
    try:
        started = time.perf_counter()
        with transaction.atomic():
            event = outbox_write(
                event="consultation.decision_published", record_type=RECORD_TYPE, record_id=RECORD_ID,
                audience={"followers": True},
                data={"title": "แผนพัฒนาท้องถิ่น พ.ศ. 2570", "url": "/consultations/1/", "summary": "สรุปผลการรับฟังความคิดเห็น"},
            )  # fmt: skip
        relayed_at = None
        last_print = 0.0
        while handler.total < args.followers and time.perf_counter() - started < args.timeout:
            time.sleep(0.2)
            now = time.perf_counter()
            if relayed_at is None and OutboxEvent.objects.filter(pk=event.pk, relayed_at__isnull=False).exists():
                relayed_at = now
                print(f"  relayed in {relayed_at - started:.1f} s", flush=True)
            if now - last_print > 5:
                last_print = now
                print(f"  {handler.total:,} mails after {now - started:.0f} s", flush=True)
        finished = time.perf_counter()
        time.sleep(1.0)  # a duplicate would show up now
        relayed_at = relayed_at or finished
        sent = Delivery.objects.filter(event=event, status=Delivery.Status.SENT).count()
        total = finished - started
        result = {
            "followers": args.followers, "concurrency": args.concurrency, "chunk": args.chunk,
            "relay_s": relayed_at - started, "total_s": total, "mails_per_s": handler.total / total,
            "send_rate": handler.total / max(finished - relayed_at, 1e-9),
            "duplicates": sum(1 for n in handler.counts.values() if n > 1), "sent": sent,
            "when": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
            "note": args.note, "kick": kick,
        }  # fmt: skip
    finally:
        stop_worker(worker)
        controller.stop()
    print(
        f"followers={result['followers']:,} received={handler.total:,} duplicates={result['duplicates']} sent={sent:,}\n"
        f"relay={result['relay_s']:.1f}s total={total:.1f}s mails/s={result['mails_per_s']:,.0f} "
        f"(sending phase {result['send_rate']:,.0f}/s)"
    )
    if handler.total < args.followers:
        raise SystemExit(f"timed out: {handler.total:,} of {args.followers:,} mails; worker log {log_path}")
    if not args.no_write:
        command = (
            "DATABASE_URL=postgres://postgres@127.0.0.1:5432/ruamkid_bench REDIS_URL=redis://127.0.0.1:6379/9 \\\n"
            f"  .venv/bin/python bench/notifications_fanout.py --followers {args.followers}"
        )
        write_report(result, command)
        print("docs/PERFORMANCE.md updated")
    if args.cleanup:
        from accounts.models import User

        OutboxEvent.objects.filter(record_type__in=[RECORD_TYPE, "bench.kick"]).delete()
        User.objects.filter(email__endswith="@" + EMAIL_DOMAIN).delete()


if __name__ == "__main__":
    main()
