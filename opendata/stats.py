"""The numbers of /statistics/: participation over time, by village and by level, petitions by
outcome and the time the municipality takes to respond. Built from the same public rows as the open
data (datasets.public_consultations / public_petitions), counts only."""

from __future__ import annotations

import datetime as dt
import statistics as pystats
from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Count, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import thai
from accounts.models import Village
from consultations import selectors as consultation_selectors
from consultations.models import Alternative, Ballot, Comment, Level, Problem, Support
from petitions.models import CouncilDecision, Petition, SignatureTally
from petitions.models import State as PetitionState

from .datasets import Scope, public_consultations, public_petitions


@dataclass
class Chart:
    """A bar chart that is also a table: one row per label, one column per series; `bar` is the
    first series as a percentage of its largest value (drawn as a CSS bar, hidden from screen readers)."""

    key: str
    title: str
    label_header: str
    series: list[str]
    rows: list[dict] = field(default_factory=list)
    note: str = ""

    def add(self, label: str, *values) -> None:
        self.rows.append({"label": label, "values": list(values)})

    def finish(self) -> Chart:
        top = max((max((v or 0) for v in row["values"]) for row in self.rows), default=0)
        for row in self.rows:
            row["bars"] = [round(100 * (v or 0) / top) if top else 0 for v in row["values"]]
        return self

    @property
    def empty(self) -> bool:
        return not any(any(row["values"]) for row in self.rows)


def _language() -> str:
    from django.utils import translation

    return (translation.get_language() or "th")[:2]


def month_label(month: dt.date) -> str:
    if _language() == "th":
        return f"{thai.THAI_MONTHS_SHORT[month.month - 1]} {month.year + thai.BE_OFFSET}"
    return f"{thai.ENGLISH_MONTHS[month.month - 1][:3]} {month.year}"


def fiscal_year_label(year_be: int) -> str:
    return _("FY %(year)s") % {"year": year_be if _language() == "th" else year_be - thai.BE_OFFSET}


def fiscal_months(year_be: int) -> list[dt.date]:
    """The twelve months of a Thai fiscal year: October of the year before to September."""
    start = year_be - thai.BE_OFFSET - 1
    return [dt.date(start if m >= 10 else start + 1, m, 1) for m in (10, 11, 12, 1, 2, 3, 4, 5, 6, 7, 8, 9)]


# --- participation acts -------------------------------------------------------------------------


def _bucket_sums(scope: Scope, kind: str):
    """(bucket, confirmed signatures) of the public petitions' tally buckets starting with `kind`,
    summed over petitions and shards by the database: one row per hour or village, not one per
    petition, bucket and shard (millions on a large install, docs/PERFORMANCE.md#scale)."""
    return (
        SignatureTally.objects.filter(petition__in=public_petitions(scope).values("pk"), bucket__startswith=kind)
        .order_by()
        .values("bucket")
        .annotate(n=Sum("count"))
        .values_list("bucket", "n")
    )


def signature_months(scope: Scope) -> Counter:
    """Confirmed signatures per local month, from the hourly tally buckets (h<YYYYMMDDHH>, UTC)."""
    months: Counter = Counter()
    for bucket, n in _bucket_sums(scope, "h"):
        hour = dt.datetime.strptime(bucket[1:], "%Y%m%d%H").replace(tzinfo=dt.UTC)
        local = timezone.localtime(hour)
        months[dt.date(local.year, local.month, 1)] += n
    return months


def consultation_months(scope: Scope) -> Counter:
    """Residents' acts in consultations per local month: problems, supports, alternatives, comments, ballots."""
    consultations = public_consultations(scope)
    sources = [
        Problem.objects.filter(consultation__in=consultations).exclude(author=None),
        Support.objects.filter(problem__consultation__in=consultations),
        Alternative.objects.filter(consultation__in=consultations, by_staff=False).exclude(author=None),
        Comment.objects.filter(consultation__in=consultations, by_staff=False).exclude(author=None),
        Ballot.objects.filter(consultation__in=consultations),
    ]
    months: Counter = Counter()
    for qs in sources:
        for month, n in qs.annotate(m=TruncMonth("created_at")).values_list("m").annotate(n=Count("id")).values_list("m", "n"):
            local = timezone.localtime(month) if isinstance(month, dt.datetime) else month
            months[dt.date(local.year, local.month, 1)] += n
    return months


def over_time(scope: Scope, year_be: int, *, signatures=None, contributions=None) -> tuple[Chart, Chart]:
    signatures = signature_months(scope) if signatures is None else signatures
    contributions = consultation_months(scope) if contributions is None else contributions
    series = [_("Petition signatures"), _("Contributions to consultations")]
    months = Chart("months", _("Participation by month, fiscal year %(year)s") % {"year": year_be}, _("Month"), series)
    for month in fiscal_months(year_be):
        months.add(month_label(month), signatures.get(month, 0), contributions.get(month, 0))
    years = Chart("years", _("Participation by fiscal year"), _("Fiscal year"), series)
    by_year: dict[int, list[int]] = {}
    for counter, i in ((signatures, 0), (contributions, 1)):
        for month, n in counter.items():
            by_year.setdefault(thai.fiscal_year(month), [0, 0])[i] += n
    for year in sorted(by_year):
        years.add(fiscal_year_label(year), *by_year[year])
    return months.finish(), years.finish()


def active_years(scope: Scope, *, signatures=None, contributions=None) -> list[int]:
    """Fiscal years (B.E.) in which anything happened, plus the current one."""
    signatures = signature_months(scope) if signatures is None else signatures
    contributions = consultation_months(scope) if contributions is None else contributions
    months = set(signatures) | set(contributions)
    return sorted({thai.fiscal_year(m) for m in months} | {thai.fiscal_year(timezone.localdate())})


# --- by village and by level --------------------------------------------------------------------


def records(scope: Scope) -> list[dict]:
    """The participation record of every public consultation (consultations.selectors)."""
    return [consultation_selectors.participation_record(c) for c in public_consultations(scope)]


def by_village(scope: Scope, organisation_id: int | None, consultation_records: list[dict]) -> Chart:
    chart = Chart(
        "villages", _("Who took part, by village"), _("Village"), [_("Petition signatures"), _("Consultation participants")]
    )
    signatures: Counter = Counter()
    for bucket, n in _bucket_sums(scope, "v"):
        signatures[int(bucket[1:])] += n
    people: Counter = Counter()
    for record in consultation_records:
        for row in record["participants"]["by_village"]:
            people[row["village"]] += row["count"]
    villages = Village.objects.filter(organisation_id=organisation_id) if organisation_id else Village.objects.none()
    for v in villages.order_by("number"):
        chart.add(str(v), signatures.pop(v.number, 0), people.pop(str(v), 0))
    rest_signatures, rest_people = sum(signatures.values()), sum(people.values())
    if rest_signatures or rest_people:
        chart.add(_("Village not given or elsewhere"), rest_signatures, rest_people)
    return chart.finish()


def by_level(consultation_records: list[dict]) -> Chart:
    chart = Chart("levels", _("Consultations by participation level"), _("Level"), [_("Participants"), _("Consultations")])
    for level in Level:
        rows = [r for r in consultation_records if r["level"] == level]
        chart.add(str(level.label), sum(r["participants"]["total"] for r in rows), len(rows))
    return chart.finish()


# --- petitions: outcomes and time to respond ----------------------------------------------------


def outcome_of(p: Petition) -> str:
    """One outcome per public petition, the furthest it went."""
    if p.state == PetitionState.REJECTED:
        return _("Rejected by moderation")
    outcome = getattr(p, "council_outcome", None)
    if p.state == PetitionState.DECIDED and outcome is not None:
        return _("Council: %(decision)s") % {"decision": CouncilDecision(outcome.decision).label}
    if p.state in (PetitionState.SUBMITTED, PetitionState.UNDER_CONSIDERATION):
        return _("With the council")
    if p.response_state == "responded":
        return _("Answered by the municipality")
    if p.response_state == "awaiting_response":
        return _("Waiting for the municipality's response")
    if p.state == PetitionState.OPEN:
        return _("Collecting signatures")
    return _("Closed without reaching a threshold")


def by_outcome(petitions: list[Petition]) -> Chart:
    chart = Chart("outcomes", _("Petitions by outcome"), _("Outcome"), [_("Petitions")])
    for label, n in Counter(outcome_of(p) for p in petitions).most_common():
        chart.add(label, n)
    return chart.finish()


# Upper limits in days, and what a row of the time-to-respond chart says.
DAY_BUCKETS = (
    (7, gettext_lazy("within 7 days")),
    (15, gettext_lazy("8 to 15 days")),
    (30, gettext_lazy("16 to 30 days")),
    (60, gettext_lazy("31 to 60 days")),
    (float("inf"), gettext_lazy("more than 60 days")),
)


def bucket_of(days: float) -> int:
    return next(i for i, (limit, _label) in enumerate(DAY_BUCKETS) if days <= limit)


def response_times(petitions: list[Petition]) -> dict:
    """Days from the response threshold (or opening) to the published response, and from submission
    to the council's decision; petitions still waiting count their days so far."""
    now = timezone.now()
    answered, waiting, council = [], [], []
    for p in petitions:
        response = getattr(p, "response", None)
        start = p.response_threshold_reached_at or p.opened_at
        if response is not None and start is not None:
            answered.append({"petition": p, "days": max((response.published_at - start).total_seconds() / 86400, 0)})
        elif p.response_state == "awaiting_response" and start is not None:
            waiting.append({"petition": p, "days": (now - start).total_seconds() / 86400})
        outcome = getattr(p, "council_outcome", None)
        if outcome is not None and p.submitted_at is not None:
            council.append({"petition": p, "days": max((outcome.recorded_at - p.submitted_at).total_seconds() / 86400, 0)})
    chart = Chart("response_times", _("Time to respond"), _("Time"), [_("Responses"), _("Council decisions")])
    for i, (_limit, label) in enumerate(DAY_BUCKETS):
        chart.add(str(label), sum(bucket_of(a["days"]) == i for a in answered), sum(bucket_of(c["days"]) == i for c in council))
    if waiting:
        chart.add(_("still waiting"), len(waiting), 0)
    days = [a["days"] for a in answered]
    return {
        "chart": chart.finish(),
        "answered": answered,
        "waiting": waiting,
        "council": council,
        "median_days": round(pystats.median(days), 1) if days else None,
        "longest_days": round(max(days), 1) if days else None,
    }


def statistics(*, organisation_id: int | None, year_be: int | None = None) -> dict:
    scope = Scope(organisation_id=organisation_id)
    year_be = year_be or thai.fiscal_year(timezone.localdate())
    consultation_records = records(scope)
    petitions = list(public_petitions(scope).select_related("response", "council_outcome"))
    # Read once: the charts by month and by year, the years with activity and the total share them.
    counts = {"signatures": signature_months(scope), "contributions": consultation_months(scope)}
    months, years = over_time(scope, year_be, **counts)
    times = response_times(petitions)
    return {
        "year": year_be,
        "years": active_years(scope, **counts),
        "charts": [months, years, by_village(scope, organisation_id, consultation_records), by_level(consultation_records),
                   by_outcome(petitions), times["chart"]],
        "times": times,
        "totals": {
            "consultations": len(consultation_records),
            "consultation_participants": sum(r["participants"]["total"] for r in consultation_records),
            "petitions": len(petitions),
            "signatures": sum(counts["signatures"].values()),
        },
    }  # fmt: skip
