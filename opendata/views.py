"""Open-data pages and downloads: /open-data/, the datasets as CSV and JSON, /statistics/ and the
ITA evidence report. Everything here is public and read-only."""

from __future__ import annotations

from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from accounts.models import Organisation
from workflows.errors import ApplicationError, NotFound, ValidationFailed, error_body
from workflows.exports import csv_response

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


@require_safe
def index(request):
    every = Scope()
    return render(
        request,
        "opendata/index.html",
        {
            "datasets": list(DATASETS.values()),
            "consultations": list(public_consultations(every)),
            "petitions": list(public_petitions(every)),
        },
    )
