"""Project-level pages: home, health, error handlers that answer the API in JSON."""

import importlib
import time

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from accounts.selectors import default_organisation

from . import api

# Optional per-app summaries for the home page. The contract (templates/includes/home_*.html):
#   <app>.selectors.home_summary(user) -> {
#       "stats":  [{"label": str, "value": int|str}, ...],                 # optional
#       "latest": [{"title": str, "url": str, "badge": str?, "meta": str?, "date": date?}, ...],
#   }
# A model instance with get_absolute_url() also works as a "latest" item. home_petitions.html also
# takes petitions' own shape {"open": [(petition, confirmed_total), ...]}.
HOME_SUMMARIES = ("petitions", "consultations")


def _is_missing(module_name: str, exc: ModuleNotFoundError) -> bool:
    """True when `module_name` itself (or its package) does not exist, not one of its imports."""
    return bool(exc.name) and f"{module_name}.".startswith(f"{exc.name}.")


def _home_summary(app: str, user):
    module_name = f"{app}.selectors"
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if not _is_missing(module_name, exc):
            raise  # a broken import inside an existing selectors module is a bug
        return None
    summary = getattr(module, "home_summary", None)
    return summary(user) if summary is not None else None


def home(request):
    context = {"today": timezone.localdate(), "organisation": default_organisation()}
    for app in HOME_SUMMARIES:
        context[app] = _home_summary(app, request.user)
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
    # No request context: the database may be what failed, so the page needs nothing from it.
    return HttpResponseServerError(loader.get_template("500.html").render())


def handler403(request, exception=None):
    if request.path.startswith("/api/"):
        return JsonResponse(api.error_body("forbidden", _("You are not allowed to do this.")), status=403)
    return render(request, "403.html", status=403)


def handler400(request, exception=None):
    if request.path.startswith("/api/"):
        return JsonResponse(api.error_body("bad_request", _("The request was not valid.")), status=400)
    return render(request, "400.html", status=400)


def csrf_failure(request, reason=""):
    if request.path.startswith("/api/"):
        return JsonResponse(api.error_body("csrf_failed", _("CSRF check failed."), {"reason": reason}), status=403)
    return render(request, "403.html", {"reason": reason}, status=403)
