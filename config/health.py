"""/healthz: the services (database, cache, broker) and the background work (a worker that runs
tasks, an outbox that drains). 200 when every check is fine, 503 naming the one that is not.

The worker check reads a heartbeat: beat queues `config.heartbeat` every HEALTH_HEARTBEAT_SECONDS
and the worker that runs it writes the time into the cache (a worker also writes it when it
starts). Old heartbeat = no worker, or no beat, or a queue so far behind that mail waits as long.
`?scope=web` checks only what the web process itself needs (for a load balancer: a dead worker
must not take the site out of rotation).
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Min
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache

HEARTBEAT_KEY = "health:worker-heartbeat"


class Stale(Exception):
    """A check that answered, with a value past its limit."""

    def __init__(self, message: str, detail: dict):
        super().__init__(message)
        self.detail = detail


def heartbeat_write() -> float:
    """Run by the worker (config.tasks.heartbeat, and on start): the time it last ran a task."""
    now = time.time()
    cache.set(HEARTBEAT_KEY, now, timeout=None)
    return now


def _check(fn) -> dict:
    started = time.monotonic()
    try:
        detail = fn()
    except Stale as exc:
        return {"ok": False, "error": str(exc), "detail": exc.detail}
    except Exception as exc:  # a health check reports failures, it does not raise them
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
    result = {"ok": True, "ms": round((time.monotonic() - started) * 1000, 1)}
    if detail:
        result["detail"] = detail
    return result


def _database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return connection.vendor


def _cache():
    cache.set("healthz", "ok", 10)
    if cache.get("healthz") != "ok":
        raise RuntimeError("cache read-back failed")
    return settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]


def _broker():
    if not settings.REDIS_URL:
        return "eager (no broker configured)"
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
    client.ping()
    return "redis"


def _worker():
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "eager (tasks run in the web process; no worker needed)"
    limit = settings.HEALTH_WORKER_MAX_AGE
    beat = cache.get(HEARTBEAT_KEY)
    if beat is None:
        raise Stale("no heartbeat from a worker yet", {"heartbeat_age_seconds": None, "max_age_seconds": limit})
    age = round(max(time.time() - float(beat), 0.0), 1)
    detail = {"heartbeat_age_seconds": age, "max_age_seconds": limit}
    if age > limit:
        raise Stale(f"the last heartbeat of a worker is {age:.0f} s old (limit {limit} s)", detail)
    return detail


def _outbox():
    from notifications.models import OutboxEvent

    limit = settings.HEALTH_OUTBOX_MAX_AGE
    waiting = OutboxEvent.objects.filter(relayed_at__isnull=True).aggregate(rows=Count("id"), oldest=Min("created_at"))
    age = round((timezone.now() - waiting["oldest"]).total_seconds(), 1) if waiting["oldest"] else None
    detail = {"unrelayed": waiting["rows"], "oldest_unrelayed_seconds": age, "max_age_seconds": limit}
    if age is not None and age > limit:
        raise Stale(f"the oldest unrelayed outbox row is {age:.0f} s old (limit {limit} s)", detail)
    return detail


WEB_CHECKS = {"database": _database, "cache": _cache, "broker": _broker}
CHECKS = {**WEB_CHECKS, "worker": _worker, "outbox": _outbox}


@never_cache
def healthz(request):
    chosen = WEB_CHECKS if request.GET.get("scope") == "web" else CHECKS
    checks = {name: _check(fn) for name, fn in chosen.items()}
    ok = all(c["ok"] for c in checks.values())
    return JsonResponse({"status": "ok" if ok else "unavailable", "checks": checks}, status=200 if ok else 503)
