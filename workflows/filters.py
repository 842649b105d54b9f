"""List filters and text search shared by the apps' lists (API and pages), on django-filter.

Thai is written without spaces between words, and PostgreSQL's full-text search does not segment
it: a search for "ไฟส่องสว่าง" must find "ขอติดตั้งไฟส่องสว่างถนน". So text matching is substring
matching (`icontains`: `UPPER(col) LIKE UPPER('%…%')`), which the GIN trigram indexes of the apps'
migrations (pg_trgm, workflows migration 0004) serve on PostgreSQL; each word of the query must
appear in one of the fields. On PostgreSQL results can also be ranked by trigram word similarity.

Unknown filter values are refused, never ignored: `?state=bogus` or `?ordering=bogus` is a 400
whose message names the allowed values, `?village=3.5` a 400 asking for a whole number
(`ListFilterSet.validated`). A page shows the same messages above the list.
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
import re

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import FloatField, Q, Value
from django.db.models.functions import Coalesce, Greatest
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter

from .errors import ValidationFailed

MIN_QUERY = 2  # characters: one Thai letter or one digit matches nearly everything
MAX_QUERY = 100
MAX_WORDS = 8
# Orderings put records without a date (a petition not open, a consultation past its stages) last.
FAR_FUTURE = dt.datetime(9999, 1, 1, tzinfo=dt.UTC)


def query_words(q: str) -> list[str]:
    """The words of a search (split on spaces; Thai words inside a phrase stay one substring)."""
    return re.sub(r"\s+", " ", q or "").strip().split(" ")[:MAX_WORDS] if (q or "").strip() else []


def text_match(words: list[str], fields: list[str], extra: list[Q] | None = None) -> Q:
    """Every word appears in one of `fields` (or satisfies one of the per-word `extra` builders)."""
    clauses = []
    for word in words:
        either = [Q(**{f"{name}__icontains": word}) for name in fields]
        either += [build(word) for build in (extra or [])]
        clauses.append(functools.reduce(operator.or_, either))
    return functools.reduce(operator.and_, clauses, Q())


def rank_by_similarity(queryset, q: str, fields: list[str]):
    """Annotate `search_rank` (trigram word similarity of the query to the best field; PostgreSQL only,
    0 elsewhere) so a search can list the closest matches first."""
    if connection.vendor != "postgresql":
        return queryset.annotate(search_rank=Value(0.0, output_field=FloatField()))
    from django.contrib.postgres.search import TrigramWordSimilarity

    scores = [Coalesce(TrigramWordSimilarity(q, name), Value(0.0)) for name in fields]
    return queryset.annotate(search_rank=Greatest(*scores) if len(scores) > 1 else scores[0])


# --- strict query values ------------------------------------------------------------------------------


class AllowedChoiceField(django_filters.fields.ChoiceField):
    """A choice whose refusal names the allowed values (for programs and people alike)."""

    def validate(self, value):
        try:
            super().validate(value)
        except ValidationError:
            allowed = ", ".join(str(k) for k, _label in self.choices if k != "")
            raise ValidationError(  # the message does not repeat what was sent (docs/API.md#one-error-shape)
                _("Not one of the allowed values: %(allowed)s."), code="invalid_choice", params={"allowed": allowed}
            ) from None


class AllowedChoiceFilter(django_filters.ChoiceFilter):
    field_class = AllowedChoiceField


class WholeNumberField(forms.CharField):
    """A whole number written as digits only: "3" (not "3.5", "3.0", "1e0" nor " 3")."""

    def __init__(self, *, max_digits: int = 3, **kwargs):
        self.max_digits = max_digits
        super().__init__(**kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        if not re.fullmatch(rf"[1-9][0-9]{{0,{self.max_digits - 1}}}", value):
            raise ValidationError(_("Give a whole number such as 3."), code="invalid")
        return int(value)


class WholeNumberFilter(django_filters.Filter):
    field_class = WholeNumberField


class ListFilterSet(django_filters.FilterSet):
    """A list's filters. `validated(data, queryset)` gives the filtered queryset and the chosen
    ordering or raises ValidationFailed (400 in the API, a message on a page)."""

    q = django_filters.CharFilter(method="search", min_length=MIN_QUERY, max_length=MAX_QUERY, label=_("Search"))
    ORDERINGS: dict[str, tuple[str, ...]] = {  # value → order_by fields (the first one is the cursor's)
        "newest": ("-created_at", "-id"),
        "oldest": ("created_at", "id"),
        "most_supported": ("-support", "-id"),
        "closing_soon": ("closes_sort", "id"),
    }
    DEFAULT_ORDERING = "newest"
    SEARCH_FIELDS: list[str] = ["title"]

    def search_extra(self) -> list:
        """Per-word Q builders beyond SEARCH_FIELDS (e.g. matches in related records)."""
        return []

    @classmethod
    def ordering_filter(cls, choices) -> AllowedChoiceFilter:
        return AllowedChoiceFilter(method="order", choices=choices, label=_("Sort by"), empty_label=None)

    def search(self, queryset, name, value):
        return queryset.filter(text_match(query_words(value), self.SEARCH_FIELDS, self.search_extra()))

    @classmethod
    def ranked(cls, queryset, q: str):
        """The closest matches first (the search page): title similarity on PostgreSQL, then newest."""
        return rank_by_similarity(queryset, q, ["title"]).order_by("-search_rank", "-id")

    def order(self, queryset, name, value):
        return queryset  # applied in `validated`, after every filter (annotations included)

    def ordering_value(self) -> str:
        return self.form.cleaned_data.get("ordering") or self.DEFAULT_ORDERING

    def annotate_for(self, queryset, ordering: str):
        return queryset

    def validated(self):
        if not self.is_valid():
            raise ValidationFailed(details={k: [str(m) for m in v] for k, v in self.errors.items()})
        ordering = self.ordering_value()
        queryset = self.annotate_for(self.qs, ordering)
        return queryset.order_by(*self.ORDERINGS[ordering]), self.ORDERINGS[ordering]


def openapi_parameters(filterset_class) -> list[OpenApiParameter]:
    """The query parameters of a ListFilterSet for the OpenAPI schema (enums from its choices)."""
    params = []
    for name, f in filterset_class.base_filters.items():
        choices = [str(k) for k, _label in f.extra.get("choices", [])] if isinstance(f, AllowedChoiceFilter) else None
        kind = int if isinstance(f, WholeNumberFilter) else str
        description = f.label or ""  # lazy: the schema is rendered in the request's language
        if name == "q":
            description = format_lazy("{} ({}-{} characters; every word must appear)", f.label, MIN_QUERY, MAX_QUERY)
        params.append(OpenApiParameter(name, kind, enum=choices, description=description))
    return params


def days_since(moment: dt.datetime | None, now: dt.datetime) -> int | None:
    return None if moment is None else max(0, (now - moment).days)


def for_page(filterset, fallback):
    """A list page's filters: (queryset, ordering fields, error messages). Refused values do not
    fail the page: it shows why and the `fallback` list (workflows.filters' 400s are for the API)."""
    try:
        queryset, ordering = filterset.validated()
    except ValidationFailed as exc:
        fields = filterset.base_filters
        messages = [f"{fields[k].label if k in fields else k}: {' '.join(str(m) for m in v)}" for k, v in exc.details.items()]
        return fallback, None, messages
    return queryset, ordering, []


def form_fields(filterset, *, options: dict | None = None, hidden: tuple[str, ...] = ()) -> list[dict]:
    """What includes/list_filters.html renders: each filter with its label, the value sent (kept
    after a refusal, so the person sees what they wrote) and, for choices, the options."""
    data = filterset.data
    fields = []
    for name, f in filterset.base_filters.items():
        value = str(data.get(name, "") or "")
        choices = (options or {}).get(name)
        if choices is None and isinstance(f, AllowedChoiceFilter):
            choices = [(str(k), str(label)) for k, label in f.extra.get("choices", [])]
            if f.extra.get("empty_label", "") is not None:
                choices = [("", str(_("All"))), *choices]
        fields.append({
            "name": name, "label": str(f.label or name), "value": value, "hidden": name in hidden,
            "options": [(str(v), label, str(v) == value) for v, label in choices] if choices is not None else None,
        })  # fmt: skip
    return fields
