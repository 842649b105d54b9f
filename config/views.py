"""Project-level pages: home, health, error handlers that answer the API in JSON."""

import time

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from . import api


def home(request):
    context = {"today": timezone.localdate()}
    for app in ("petitions", "consultations"):
        try:
            module = __import__(f"{app}.selectors", fromlist=["home_summary"])
        except ImportError:
            continue
        summary = getattr(module, "home_summary", None)
        if summary is not None:
            context[app] = summary(request.user)
    return render(request, "home.html", context)


def _check(fn) -> dict:
    started = time.monotonic()
    try:
        detail = fn()
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


@never_cache
def healthz(request):
    checks = {"database": _check(_database), "cache": _check(_cache), "broker": _check(_broker)}
    ok = all(c["ok"] for c in checks.values())
    return JsonResponse({"status": "ok" if ok else "unavailable", "checks": checks}, status=200 if ok else 503)


def handler404(request, exception=None):
    if request.path.startswith("/api/"):
        return api.json_404(request, exception)
    return render(request, "404.html", status=404)


def handler500(request):
    if request.path.startswith("/api/"):
        return api.json_500(request)
    return render(request, "500.html", status=500)


def handler403(request, exception=None):
    if request.path.startswith("/api/"):
        return JsonResponse(api.error_body("forbidden", "Forbidden"), status=403)
    return render(request, "403.html", status=403)


def handler400(request, exception=None):
    if request.path.startswith("/api/"):
        return JsonResponse(api.error_body("bad_request", "Bad request"), status=400)
    return render(request, "400.html", status=400)


def csrf_failure(request, reason=""):
    if request.path.startswith("/api/"):
        return JsonResponse(api.error_body("csrf_failed", f"CSRF check failed: {reason}"), status=403)
    return render(request, "403.html", {"reason": reason}, status=403)
