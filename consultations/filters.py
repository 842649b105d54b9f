"""The consultation list's filters, search and orderings (API: /api/v1/consultations/?…, page:
/consultations/?…).

    q         words that must all appear in the topic, summary or details, or in one of its
              published problems or alternatives (Thai without spaces works: workflows.filters)
    state     one of the stages;  level  inform | consult | involve | collaborate | empower
    village   consultations for that village (หมู่ที่ N), including those for every village
    ordering  newest (default) | oldest | most_supported (supports on its problems) |
              closing_soon (the running stage's end first)

A consultation's problems (API: /api/v1/consultations/<id>/problems/?ordering=…, page: the
detail page's problems) sort by ProblemFilter: most_supported (default) | newest | oldest.
Alternatives have no sort by support: their votes are a secret ballot, hidden until voting closes.
"""

from __future__ import annotations

from django.db.models import Count, DateTimeField, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from workflows.filters import (
    FAR_FUTURE,
    AllowedChoiceFilter,
    ListFilterSet,
    WholeNumberFilter,
)

from .models import HEARING_STAGES, Alternative, Consultation, Level, Problem, Stage, State, Support, Visibility

SEARCH_FIELDS = ["title", "summary", "body"]
ORDERING = [
    ("newest", _("Newest")),
    ("oldest", _("Oldest")),
    ("most_supported", _("Most supported")),
    ("closing_soon", _("Closing soon")),
]


def _in_contributions(model):
    def build(word: str) -> Q:
        hits = model.objects.filter(Q(title__icontains=word) | Q(body__icontains=word), visibility=Visibility.PUBLISHED)
        return Q(pk__in=hits.values("consultation_id"))

    return build


class ConsultationFilter(ListFilterSet):
    state = AllowedChoiceFilter(choices=State.choices, label=_("Stage"))
    level = AllowedChoiceFilter(choices=Level.choices, label=_("Participation level"))
    village = WholeNumberFilter(method="for_village", label=_("Village (หมู่ที่)"))
    ordering = ListFilterSet.ordering_filter(ORDERING)

    SEARCH_FIELDS = SEARCH_FIELDS

    class Meta:
        model = Consultation
        fields: list[str] = []

    def search_extra(self) -> list:
        return [_in_contributions(Problem), _in_contributions(Alternative)]

    def for_village(self, queryset, name, value):
        listed = Consultation.villages.through.objects.values("consultation_id")
        return queryset.filter(Q(pk__in=listed.filter(village__number=value)) | ~Q(pk__in=listed))

    def annotate_for(self, queryset, ordering: str):
        if ordering == "most_supported":
            supports = (
                Support.objects.filter(problem__consultation_id=OuterRef("pk"), problem__visibility=Visibility.PUBLISHED)
                .order_by()
                .values("problem__consultation_id")
                .annotate(n=Count("id"))
                .values("n")
            )
            queryset = queryset.annotate(support=Coalesce(Subquery(supports, output_field=IntegerField()), Value(0)))
        elif ordering == "closing_soon":
            ends = Stage.objects.filter(consultation_id=OuterRef("pk"), name=OuterRef("state"), name__in=HEARING_STAGES)
            queryset = queryset.annotate(
                closes_sort=Coalesce(Subquery(ends.values("ends_at")[:1], output_field=DateTimeField()), Value(FAR_FUTURE))
            )
        return queryset


PROBLEM_ORDERING = [
    ("random", _("Random order")),
    ("most_supported", _("Most supported")),
    ("newest", _("Newest")),
    ("oldest", _("Oldest")),
]


class ProblemFilter(ListFilterSet):
    """The order of a consultation's problems (and a search in them)."""

    ordering = ListFilterSet.ordering_filter(PROBLEM_ORDERING)

    ORDERINGS = {
        "random": ("id",),  # the visitor's own: selectors.problem_ordering puts their seed in
        "most_supported": ("-n_supports", "id"),
        "newest": ("-created_at", "-id"),
        "oldest": ("created_at", "id"),
    }
    DEFAULT_ORDERING = "most_supported"
    SEARCH_FIELDS = ["title", "body"]

    class Meta:
        model = Problem
        fields: list[str] = []
