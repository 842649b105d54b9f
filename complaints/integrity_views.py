"""Pages of the integrity channel (/integrity/): how to report and the yearly counts (public), the
report form (anyone, anonymous allowed), the reference lookup (state only), and the integrity
officers' list and record. Every officer page answers 404 to anyone else, as if nothing were there."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from workflows.errors import ApplicationError, RateLimited, ValidationFailed
from workflows.exports import csv_response
from workflows.services import available_transitions, transition

from . import integrity
from .models import IntegrityKind, IntegrityOutcome
from .views import or_404, site_organisation


class ReportForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("What kind of wrongdoing?"), choices=IntegrityKind.choices)
    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=200)
    body = forms.CharField(label=gettext_lazy("What happened"), max_length=5000, widget=forms.Textarea(attrs={"rows": 6}))
    involved = forms.CharField(
        label=gettext_lazy("Who was involved (name, position or division)"), max_length=300, required=False
    )
    when_text = forms.CharField(label=gettext_lazy("When did it happen?"), max_length=100, required=False)
    where_text = forms.CharField(label=gettext_lazy("Where"), max_length=200, required=False)
    name = forms.CharField(label=gettext_lazy("Your name (optional)"), max_length=200, required=False)
    email = forms.EmailField(label=gettext_lazy("Email (optional)"), required=False)
    phone = forms.CharField(label=gettext_lazy("Phone (optional)"), max_length=30, required=False)


def _report(request, pk):
    return or_404(integrity.report_get, pk, request.user)


def index(request):
    organisation = site_organisation()
    return render(
        request,
        "complaints/integrity/index.html",
        {
            "organisation": organisation,
            "stats": integrity.statistics(organisation),
            "officer": integrity.is_officer(request.user, organisation),
        },
    )


def report_new(request):
    organisation = site_organisation()
    form = ReportForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                report = integrity.report_file(
                    organisation=organisation, actor=request.user, client_ip=request.META.get("REMOTE_ADDR", ""),
                    **form.cleaned_data,
                )  # fmt: skip
            except RateLimited as exc:
                form.add_error(None, str(exc.message))
                status = 429
            except ValidationFailed as exc:
                for field, problems in (exc.details or {"__all__": [exc.message]}).items():
                    form.add_error(field if field in form.fields else None, [str(p) for p in problems])
            else:
                messages.success(request, _("Received. Keep your reference: %(code)s") % {"code": report.reference})
                return redirect("integrity:track_detail", report.reference)
    return render(request, "complaints/integrity/new.html", {"form": form}, status=status)


def track(request):
    code = request.GET.get("code", "")
    report = integrity.report_by_reference(code) if code else None
    if report is not None:
        return redirect("integrity:track_detail", report.reference)
    return render(request, "complaints/integrity/track.html", {"code": code, "missing": bool(code)}, status=404 if code else 200)


def track_detail(request, code: str):
    report = integrity.report_by_reference(code)
    if report is None:
        raise Http404
    return render(request, "complaints/integrity/track_detail.html", {"t": integrity.tracking(report)})


def statistics_csv(request):
    organisation = site_organisation()
    rows = integrity.statistics_rows(integrity.statistics(organisation))
    return csv_response(rows, filename=f"integrity-reports-{organisation.slug}.csv")


@login_required
def officer_list(request):
    if not _officer_anywhere(request.user):
        raise Http404
    reports = list(integrity.reports_for(request.user, state=request.GET.get("state", ""))[:200])
    return render(request, "complaints/integrity/list.html", {"reports": reports})


def _officer_anywhere(user) -> bool:
    from accounts.models import Membership, Role

    return Membership.objects.filter(user=user, role=Role.INTEGRITY).exists()


@login_required
def officer_detail(request, pk: int):
    report = _report(request, pk)
    moves = {m["name"]: m for m in available_transitions(report, request.user)}
    return render(
        request,
        "complaints/integrity/detail.html",
        {"report": report, "moves": moves, "outcomes": IntegrityOutcome.choices},
    )


@login_required
@require_POST
def officer_act(request, pk: int, name: str):
    report = _report(request, pk)
    payload = {"outcome": request.POST.get("outcome", "")} if name == "complete" else {}
    try:
        transition(report, name, actor=request.user, reason=request.POST.get("reason", ""), payload=payload)
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Saved."))
    return redirect(reverse("integrity:detail", args=[pk]))


@login_required
@require_POST
def officer_reporter(request, pk: int):
    """Who made the report: shown once per click, and the click is audited."""
    report = _report(request, pk)
    reporter = integrity.reporter_reveal(report=report, actor=request.user)
    return render(request, "complaints/integrity/reporter.html", {"report": report, "reporter": reporter})
