"""/search/?q=: petitions and consultations (with their problems and alternatives) in one page,
closest matches first. Each app answers through `<app>.selectors.search(user, q, limit=…)`; the
matching itself is workflows.filters (substrings on trigram indexes: Thai has no spaces)."""

from django.shortcuts import render
from django.utils.translation import gettext as _

from workflows.filters import MAX_QUERY, MIN_QUERY

from .views import app_selector

SEARCHED = ("petitions", "consultations")
LIMIT = 20


def search(request):
    q = " ".join(str(request.GET.get("q", "")).split())
    context = {"q": q, "min_query": MIN_QUERY, "max_query": MAX_QUERY, "results": {}, "error": ""}
    if q and not MIN_QUERY <= len(q) <= MAX_QUERY:
        context["error"] = _("Type between %(min)d and %(max)d characters.") % {"min": MIN_QUERY, "max": MAX_QUERY}
    elif q:
        for app in SEARCHED:
            found = app_selector(app, "search")
            if found is not None:
                context["results"][app] = found(request.user, q, limit=LIMIT)
        context["nothing"] = not any(r["items"] or r.get("contributions") for r in context["results"].values())
    return render(request, "search.html", context, status=400 if context["error"] else 200)
