"""Pages of the complaints app: file (anyone, phone first), track by code (no account), the staff
queue and record with its moves, and the public statistics. Writes go through complaints.services
and workflows.services.transition; domain errors come back as messages or form errors."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.selectors import default_organisation, staff_organisations
from workflows.errors import ApplicationError, NotFound, RateLimited, ValidationFailed
from workflows.services import available_transitions

from . import api, rules, selectors, services
from .forms import ComplaintForm, TrackForm
from .models import OPEN_STATES, State


def site_organisation():
    organisation = default_organisation()
    if organisation is None:
        raise Http404
    return organisation


def or_404(read, *args):
    """A selector's NotFound as the page's 404."""
    try:
        return read(*args)
    except NotFound:
        raise Http404 from None


def _language() -> str:
    return (translation.get_language() or "th")[:2]


def _complaint(request, pk):
    return or_404(selectors.complaint_get, pk, request.user)


def index(request):
    organisation = site_organisation()
    return render(
        request,
        "complaints/index.html",
        {
            "organisation": organisation,
            "categories": selectors.categories_for(organisation),
            "track_form": TrackForm(),
            "is_staff": bool(staff_organisations(request.user)),
        },
    )


def complaint_new(request):
    organisation = site_organisation()
    if not selectors.categories_for(organisation):
        services.defaults_ensure(organisation=organisation)  # a fresh install: the standard categories
    language = _language()
    categories = [(c.pk, f"{c.display_name(language)}") for c in selectors.categories_for(organisation)]
    villages = [(v.pk, str(v)) for v in organisation.villages.all()]
    user = request.user
    initial = {"name": user.full_name, "email": user.email} if user.is_authenticated else {}
    if user.is_authenticated and user.village_id:
        initial["village"] = user.village_id
    form = ComplaintForm(request.POST or None, request.FILES or None, categories=categories, villages=villages, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                c = services.complaint_file(
                    organisation=organisation, actor=user, language=language, client_ip=request.META.get("REMOTE_ADDR", ""),
                    **{k: v for k, v in data.items()},
                )  # fmt: skip
            except RateLimited as exc:
                form.add_error(None, str(exc.message))
                status = 429
            except ValidationFailed as exc:
                form.apply(exc)
                status = 400
            else:
                messages.success(request, _("Received. Keep your tracking code: %(code)s") % {"code": c.tracking_code})
                return redirect("complaints:track_detail", c.tracking_code)
        else:
            status = 400
    return render(request, "complaints/new.html", {"form": form, "organisation": organisation}, status=status)


def track(request):
    form = TrackForm(request.GET or None)
    if form.is_valid():
        c = selectors.complaint_by_code(form.cleaned_data["code"])
        if c is not None:
            return redirect("complaints:track_detail", c.tracking_code)
        form.add_error("code", _("No complaint has this tracking code. Check it and try again."))
    return render(request, "complaints/track.html", {"form": form}, status=404 if form.errors else 200)


def track_detail(request, code: str):
    c = selectors.complaint_by_code(code)
    if c is None:
        raise Http404
    return render(
        request,
        "complaints/track_detail.html",
        {"t": selectors.tracking(c, _language()), "mine": rules.can_see(c, request.user), "complaint": c},
    )


@login_required
def staff_queue(request):
    if not staff_organisations(request.user):
        raise Http404
    q = request.GET
    state = q.get("state", "open")
    complaints = list(selectors.complaints_for(request.user, state=state, category=q.get("category", ""))[:200])
    orgs = staff_organisations(request.user)
    return render(
        request,
        "complaints/staff.html",
        {
            "complaints": complaints,
            "state": state,
            "states": [("open", _("Still open"))] + list(State.choices),
            "categories": [c for o in orgs for c in selectors.categories_for(o)],
            "category": q.get("category", ""),
        },
    )


def complaint_detail(request, pk: int):
    c = _complaint(request, pk)
    staff = rules.is_staff(c, request.user)
    moves = {m["name"]: m for m in available_transitions(c, request.user)} if staff else {}
    return render(
        request,
        "complaints/detail.html",
        {
            "c": c,
            "t": selectors.tracking(c, _language()),
            "staff": staff,
            "moves": moves,
            "divisions": selectors.divisions_for(c.organisation) if "assign" in moves else [],
            "open": c.state in OPEN_STATES,
        },
    )


@login_required
@require_POST
def complaint_act(request, pk: int, name: str):
    c = _complaint(request, pk)
    try:
        services.complaint_move(
            complaint=c, actor=request.user, name=name, reason=request.POST.get("reason", ""),
            division=request.POST.get("division") or None,
        )  # fmt: skip
    except ApplicationError as exc:
        details = exc.details if isinstance(exc.details, dict) else {}
        extra = [str(v[0]) for k, v in details.items() if isinstance(v, list) and v and k not in ("conditions",)]
        messages.error(request, " ".join([str(exc.message), *extra]))
    else:
        c.refresh_from_db()
        messages.success(request, _("Done: the complaint is now “%(state)s”.") % {"state": c.get_state_display()})
    return redirect(reverse("complaints:detail", args=[pk]))


def complaint_photo(request, pk: int):
    """The photo, to staff and the filer only (never from a public media URL)."""
    c = _complaint(request, pk)
    if not c.photo:
        raise Http404
    response = FileResponse(c.photo.open("rb"), content_type=_photo_type(c.photo.name))
    response["Cache-Control"] = "private, no-store"
    return response


def _photo_type(name: str) -> str:
    return {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}.get(
        name.rsplit(".", 1)[-1], "application/octet-stream"
    )


def statistics_page(request):
    organisation = site_organisation()
    try:
        year = api._year(request)
    except ValidationFailed:
        year = None
    stats = selectors.statistics_for(organisation, year=year, language=_language())
    top = max([b["received"] for b in stats["by_category"] + stats["by_village"]] + [1])
    return render(
        request,
        "complaints/statistics.html",
        {
            "organisation": organisation,
            "stats": stats,
            "top": top,
            "years": selectors.fiscal_years(organisation),
            "year": year,
            "csv_query": f"?fiscal_year={year}" if year else "",
        },
    )


def statistics_csv(request):
    return api.statistics_csv(request)
