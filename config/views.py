"""Project-level pages: home and the error handlers that answer the API in JSON (/healthz: config/health.py)."""

import importlib

from django.http import HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils import timezone
from django.utils.translation import gettext as _

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


def app_selector(app: str, name: str):
    """`<app>.selectors.<name>`, or None when the app or the function does not exist (yet)."""
    module_name = f"{app}.selectors"
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if not _is_missing(module_name, exc):
            raise  # a broken import inside an existing selectors module is a bug
        return None
    return getattr(module, name, None)


def _home_summary(app: str, user):
    summary = app_selector(app, "home_summary")
    return summary(user) if summary is not None else None


def home(request):
    context = {"today": timezone.localdate(), "organisation": default_organisation()}
    for app in HOME_SUMMARIES:
        context[app] = _home_summary(app, request.user)
    return render(request, "home.html", context)


def accessibility(request):
    """The accessibility statement (WCAG 2.1 AA target, how it is tested, limits, whom to tell)."""
    return render(request, "accessibility.html", {"organisation": default_organisation()})


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
