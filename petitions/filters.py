"""The petition list's filters, search and orderings (API: /api/v1/petitions/?…, page: /petitions/?…).

q         words that must all appear in the title, text or background (Thai without spaces works:
          substring matching on trigram indexes, workflows.filters)
state     one of the petition states;  kind  general | ordinance
village   petitions signed in that village (หมู่ที่ N: confirmed online signatures and counted paper
          ones, both in the tally rows), each with `village_signatures`, its count there
waiting   response: past the response threshold, not yet answered;
          council: past the council threshold (or submitted), no council decision yet
ordering  newest (default) | oldest | most_supported | closing_soon | longest_waiting (with
          `waiting`, and its default: oldest wait first) | most_in_village (with `village`: the
          most signatures in that village first)
"""

from __future__ import annotations

from django.db.models import Case, DateTimeField, IntegerField, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from workflows.errors import ValidationFailed
from workflows.filters import (
    FAR_FUTURE,
    AllowedChoiceFilter,
    ListFilterSet,
    WholeNumberFilter,
)

from .models import RESPONDABLE_STATES, Kind, Petition, SignatureTally, State

SEARCH_FIELDS = ["title", "body", "background"]
WAITING = [("response", _("a response from the municipality")), ("council", _("the council"))]
ORDERING = [
    ("newest", _("Newest")),
    ("oldest", _("Oldest")),
    ("most_supported", _("Most signatures")),
    ("closing_soon", _("Closing soon")),
    ("longest_waiting", _("Waiting longest")),
    ("most_in_village", _("Most signatures in the village")),
]
# Orderings that only mean something with another parameter: ordering → (that parameter, the message).
NEEDS = {
    "longest_waiting": ("waiting", _("“longest_waiting” needs waiting=response or waiting=council.")),
    "most_in_village": ("village", _("“most_in_village” needs village=N (the village number, หมู่ที่).")),
}


def waiting_for(kind: str) -> tuple[Q, Coalesce]:
    """Which petitions wait for the municipality's response or for the council, and since when."""
    if kind == "response":
        return Q(response_state="awaiting_response", state__in=RESPONDABLE_STATES), Coalesce(
            "response_threshold_reached_at", "opened_at", "created_at"
        )
    council = Q(state__in=[State.SUBMITTED, State.UNDER_CONSIDERATION]) | Q(
        state__in=[State.OPEN, State.CLOSED], council_threshold_reached_at__isnull=False
    )
    return council, Coalesce("council_threshold_reached_at", "submitted_at", "created_at")


def village_total(number: int):
    """The confirmed count of each petition in village `number` (หมู่ที่), as a subquery: online
    signatures and counted paper ones alike are in the "v<N>" tally rows."""
    rows = (
        SignatureTally.objects.filter(petition_id=OuterRef("pk"), bucket=f"v{number}")
        .order_by()
        .values("petition_id")
        .annotate(n=Sum("count"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


def confirmed_total():
    """The confirmed count of each petition from its tally rows, as a subquery (most_supported)."""
    rows = (
        SignatureTally.objects.filter(petition_id=OuterRef("pk"), bucket="t")
        .order_by()
        .values("petition_id")
        .annotate(n=Sum("count"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


class PetitionFilter(ListFilterSet):
    state = AllowedChoiceFilter(choices=State.choices, label=_("State"))
    kind = AllowedChoiceFilter(choices=Kind.choices, label=_("Kind"))
    village = WholeNumberFilter(method="signed_in_village", label=_("Signed in village (หมู่ที่)"))
    waiting = AllowedChoiceFilter(choices=WAITING, method="waiting_filter", label=_("Waiting for"))
    ordering = ListFilterSet.ordering_filter(ORDERING)

    ORDERINGS = ListFilterSet.ORDERINGS | {
        "newest": ("-opened_sort", "-id"),
        "oldest": ("opened_sort", "id"),
        "longest_waiting": ("waiting_since", "id"),
        "most_in_village": ("-village_signatures", "-id"),
    }
    SEARCH_FIELDS = SEARCH_FIELDS

    class Meta:
        model = Petition
        fields: list[str] = []

    def search(self, queryset, name, value):
        """A withheld text (libel, personal data…) is searched for staff only: for the others a match
        on its words would tell what it says."""
        from accounts.selectors import staff_organisations

        from .selectors import withheld_q

        user = getattr(self.request, "user", None)
        orgs = [o.pk for o in staff_organisations(user)] if getattr(user, "is_authenticated", False) else []
        return super().search(queryset.exclude(withheld_q() & ~Q(organisation_id__in=orgs)), name, value)

    def signed_in_village(self, queryset, name, value):
        return queryset.annotate(village_signatures=village_total(value)).filter(village_signatures__gt=0)

    def waiting_filter(self, queryset, name, value):
        where, since = waiting_for(value)
        return queryset.filter(where).annotate(waiting_since=since)

    def ordering_value(self) -> str:
        data = self.form.cleaned_data
        ordering = data.get("ordering") or ("longest_waiting" if data.get("waiting") else self.DEFAULT_ORDERING)
        needed, message = NEEDS.get(ordering, (None, ""))
        if needed and not data.get(needed):
            raise ValidationFailed(details={"ordering": [message]})
        return ordering

    def annotate_for(self, queryset, ordering: str):
        if ordering in ("newest", "oldest"):
            queryset = queryset.annotate(opened_sort=Coalesce("opened_at", "created_at"))
        elif ordering == "most_supported":
            queryset = queryset.annotate(support=confirmed_total())
        elif ordering == "closing_soon":
            queryset = queryset.annotate(
                closes_sort=Case(
                    When(state=State.OPEN, closes_at__isnull=False, then="closes_at"),
                    default=Value(FAR_FUTURE),
                    output_field=DateTimeField(),
                )
            )
        return queryset
