"""Open-data pages and downloads: /open-data/, the datasets as CSV and JSON, /statistics/ and the
ITA evidence report. Everything here is public and read-only."""

from __future__ import annotations

from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from accounts.models import Organisation
from accounts.selectors import default_organisation
from workflows.errors import ApplicationError, NotFound, ValidationFailed, error_body
from workflows.exports import csv_response

from . import ita, pdf, stats
from .datasets import DATASETS, Scope, bundle, public_consultations, public_petitions, table, when


def _error_response(error: ApplicationError) -> JsonResponse:
    return JsonResponse(error_body(error.code, error.message, error.details), status=error.status)


def _scope(request) -> Scope:
    """?organisation=<slug>&consultation=<id>&petition=<id>; a bad value is a 400, an unknown organisation 404."""
    organisation_id = None
    slug = request.GET.get("organisation", "")[:50]
    if slug:
        organisation_id = Organisation.objects.filter(slug=slug).values_list("pk", flat=True).first()
        if organisation_id is None:
            raise NotFound(_("Unknown organisation."))
    ids = {}
    for name in ("consultation", "petition"):
        raw = request.GET.get(name, "")
        if raw and not (raw.isascii() and raw.isdigit() and len(raw) < 12):
            raise ValidationFailed(details={name: [_("Give the record's number, e.g. %(name)s=12.") % {"name": name}]})
        ids[name] = int(raw) if raw else None
    return Scope(organisation_id=organisation_id, consultation_id=ids["consultation"], petition_id=ids["petition"])


def _dataset(name: str):
    dataset = DATASETS.get(name)
    if dataset is None:
        raise Http404
    return dataset


@require_safe
def dataset_csv(request, name: str):
    dataset = _dataset(name)
    try:
        scope = _scope(request)
    except ApplicationError as error:
        return _error_response(error)
    return csv_response(table(dataset, scope), filename=f"ruamkid-{name}.csv")


@require_safe
def dataset_json(request, name: str):
    dataset = _dataset(name)
    try:
        scope = _scope(request)
    except ApplicationError as error:
        return _error_response(error)
    rows = list(dataset.rows(scope))
    body = {
        "dataset": name,
        "generated_at": when(timezone.now()),
        "fields": list(dataset.fields),
        "count": len(rows),
        "rows": rows,
    }
    return JsonResponse(body, json_dumps_params={"ensure_ascii": False})


_PUBLIC = {"consultation": public_consultations, "petition": public_petitions}


@require_safe
def record_json(request, about: str, pk: int):
    """/open-data/consultations/<id>.json, /open-data/petitions/<id>.json: every dataset about one record."""
    scope = Scope(**{f"{about}_id": pk})
    if not _PUBLIC[about](scope).exists():
        raise Http404
    response = JsonResponse(
        {"generated_at": when(timezone.now()), **bundle(scope, about)}, json_dumps_params={"ensure_ascii": False}
    )
    response["Content-Disposition"] = f'inline; filename="ruamkid-{about}-{pk}.json"'
    return response


# The records the index links one by one: the newest this many of each kind (all of them are in the
# datasets, and each dataset downloads per record). Every one of 50,000 petitions made a 4 MB page.
INDEX_RECORDS = 100


def _newest(queryset) -> tuple[list, bool]:
    """The newest INDEX_RECORDS of `queryset`, newest first, and whether there are more."""
    rows = list(queryset.order_by("-id")[: INDEX_RECORDS + 1])
    return rows[:INDEX_RECORDS], len(rows) > INDEX_RECORDS


@require_safe
def index(request):
    every = Scope()
    consultations, more_consultations = _newest(public_consultations(every))
    petitions, more_petitions = _newest(public_petitions(every))
    return render(
        request,
        "opendata/index.html",
        {
            "datasets": list(DATASETS.values()),
            "consultations": consultations,
            "more_consultations": more_consultations,
            "petitions": petitions,
            "more_petitions": more_petitions,
            "shown": INDEX_RECORDS,
            "years": ita.fiscal_years(),
        },
    )


def _organisation(request) -> Organisation | None:
    slug = request.GET.get("organisation", "")[:50]
    if not slug:
        return default_organisation()
    organisation = Organisation.objects.filter(slug=slug).first()
    if organisation is None:
        raise Http404
    return organisation


def _bad_request(request):
    return render(request, "400.html", status=400)


@require_safe
def statistics(request):
    organisation = _organisation(request)
    raw = request.GET.get("year", "")
    if raw and not (raw.isascii() and raw.isdigit() and 2500 <= int(raw[:5]) <= 2700):
        return _bad_request(request)
    year = int(raw) if raw else None
    data = stats.statistics(organisation_id=organisation.pk if organisation else None, year_be=year)
    return render(request, "opendata/statistics.html", {"stats": data, "organisation": organisation})


# --- ITA evidence --------------------------------------------------------------------------------


def _report(request, year: int) -> ita.Report:
    if not 2500 <= year <= 2700:  # B.E.: 1957–2157
        raise Http404
    return ita.report(year, organisation=_organisation(request))


@require_safe
def ita_index(request):
    organisation = _organisation(request)
    return render(
        request,
        "opendata/ita_index.html",
        {"years": ita.fiscal_years(organisation), "current": ita.current_fiscal_year(), "organisation": organisation},
    )


@require_safe
def ita_report(request, year: int):
    return render(request, "opendata/ita_report.html", {"report": _report(request, year)})


@require_safe
def ita_csv(request, year: int):
    return csv_response(ita.csv_rows(_report(request, year)), filename=f"ita-participation-{year}.csv")


@require_safe
def ita_pdf(request, year: int):
    response = HttpResponse(pdf.ita_pdf(_report(request, year)), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="ita-participation-{year}.pdf"'
    return response
