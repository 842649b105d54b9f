"""Reads of the complaints app shared by the API and the pages.

The public reads are the tracking view (by code: progress only, never the filer or their text)
and the statistics (counts by category, village and fiscal year, and days to resolve).
"""

from __future__ import annotations

import statistics
from collections import defaultdict

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import STAFF_ROLES, Membership, Organisation
from accounts.thai import fiscal_year
from workflows.errors import NotFound

from . import rules
from .models import OPEN_STATES, Category, Complaint, Division, State, normalise_code


def categories_for(organisation) -> list[Category]:
    return list(Category.objects.filter(organisation=organisation, active=True))


def divisions_for(organisation) -> list[Division]:
    return list(Division.objects.filter(organisation=organisation, active=True))


def complaint_by_code(code: str) -> Complaint | None:
    code = normalise_code(code)
    if not code:
        return None
    return Complaint.objects.select_related("category", "village", "division", "organisation").filter(tracking_code=code).first()


def complaint_get(pk, user) -> Complaint:
    """The full record for staff of its organisation and its filer; NotFound for everyone else."""
    c = Complaint.objects.select_related("category", "village", "division", "organisation").filter(pk=pk).first()
    if c is None or not rules.can_see(c, user):
        raise NotFound()
    return c


def staff_org_ids(user) -> list[int]:
    if not getattr(user, "is_authenticated", False):
        return []
    return list(Membership.objects.filter(user=user, role__in=STAFF_ROLES).values_list("organisation_id", flat=True).distinct())


def complaints_for(user, *, state: str = "", category: str = "", division: str = "") -> QuerySet:
    """Staff: every complaint of their organisations; anyone else signed in: their own."""
    org_ids = staff_org_ids(user)
    qs = Complaint.objects.select_related("category", "village", "division")
    if org_ids:
        qs = qs.filter(organisation_id__in=org_ids)
    elif getattr(user, "is_authenticated", False):
        qs = qs.filter(filer=user)
    else:
        return qs.none()
    if state in State.values:
        qs = qs.filter(state=state)
    elif state == "open":
        qs = qs.filter(state__in=OPEN_STATES)
    if str(category).isdigit():
        qs = qs.filter(category_id=int(category))
    if str(division).isdigit():
        qs = qs.filter(division_id=int(division))
    return qs


def tracking(c: Complaint, language: str = "th") -> dict:
    """What the tracking page and GET /api/v1/complaints/track/<code>/ show: progress only."""
    steps = [{"state": State.RECEIVED.value, "label": str(State.RECEIVED.label), "at": c.created_at, "note": ""}]
    if c.assigned_at:
        steps.append(
            {
                "state": State.ASSIGNED.value,
                "label": str(State.ASSIGNED.label),
                "at": c.assigned_at,
                "note": c.division.display_name(language) if c.division_id else "",
            }
        )
    if c.started_at:
        steps.append({"state": State.IN_PROGRESS.value, "label": str(State.IN_PROGRESS.label), "at": c.started_at, "note": ""})
    if c.state == State.RESOLVED:
        steps.append({"state": c.state, "label": str(State.RESOLVED.label), "at": c.closed_at, "note": c.resolution})
    if c.state == State.REJECTED:
        steps.append({"state": c.state, "label": str(State.REJECTED.label), "at": c.closed_at, "note": c.rejection_reason})
    return {
        "tracking_code": c.tracking_code,
        "organisation": c.organisation.display_name(language),
        "category": c.category.display_name(language),
        "village": str(c.village) if c.village_id else "",
        "title": c.title,
        "state": c.state,
        "state_label": str(State(c.state).label),
        "open": c.is_open,
        "due_at": c.due_at,
        "overdue": c.overdue,
        "division": c.division.display_name(language) if c.division_id else "",
        "steps": steps,
    }


def _days(start, end) -> float:
    return round((end - start).total_seconds() / 86400, 1)


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def fiscal_years(organisation) -> list[int]:
    """Buddhist-Era fiscal years that have complaints, newest first."""
    dates = Complaint.objects.filter(organisation=organisation).values_list("created_at", flat=True)
    return sorted({fiscal_year(d) for d in dates}, reverse=True)


def statistics_for(organisation: Organisation, *, year: int | None = None, language: str = "th") -> dict:
    """Anonymised statistics: counts by category, by village and by fiscal year, and the days to
    resolve. Never a filer, a text or a place; categories and villages are counted separately,
    not crossed, so a small village's single complaint about one thing is not singled out."""
    rows = Complaint.objects.filter(organisation=organisation).values_list(
        "category_id", "village_id", "state", "created_at", "closed_at", "due_at"
    )
    categories = {c.pk: c for c in Category.objects.filter(organisation=organisation)}
    villages = {v.pk: str(v) for v in organisation.villages.all()}

    def blank():
        return {"received": 0, "open": 0, "resolved": 0, "rejected": 0, "on_time": 0, "days": []}

    total, by_cat, by_village, by_year = blank(), defaultdict(blank), defaultdict(blank), defaultdict(blank)
    for category_id, village_id, state, created, closed, due in rows:
        fy = fiscal_year(created)
        buckets = [by_year[fy]]
        if year is None or fy == year:
            buckets += [total, by_cat[category_id], by_village[village_id]]
        for b in buckets:
            b["received"] += 1
            if state in OPEN_STATES:
                b["open"] += 1
            elif state == State.RESOLVED:
                b["resolved"] += 1
                b["days"].append(_days(created, closed))
                b["on_time"] += int(closed <= due)
            else:
                b["rejected"] += 1

    def finish(b: dict) -> dict:
        days = b.pop("days")
        b["median_days"] = _median(days)
        b["on_time_percent"] = round(100 * b["on_time"] / b["resolved"]) if b["resolved"] else None
        return b

    ordered = sorted(by_cat.items(), key=lambda kv: (categories[kv[0]].order, kv[0]) if kv[0] in categories else (999, kv[0]))
    return {
        "organisation": organisation.slug,
        "fiscal_year": year,
        "generated_at": timezone.now(),
        "total": finish(total),
        "by_category": [
            finish(b)
            | {
                "category": categories[pk].code,
                "label": categories[pk].display_name(language),
                "sla_days": categories[pk].sla_days,
            }
            for pk, b in ordered
        ],  # fmt: skip
        "by_village": [
            finish(b) | {"village": villages.get(pk, "") or _("not given")}
            for pk, b in sorted(by_village.items(), key=lambda kv: (kv[0] is None, kv[0] or 0))
        ],
        "by_fiscal_year": [finish(b) | {"fiscal_year": fy} for fy, b in sorted(by_year.items(), reverse=True)],
    }


def statistics_rows(stats: dict) -> list[list]:
    """The statistics as spreadsheet rows (open data)."""
    rows = [["section", "key", "label", "received", "open", "resolved", "rejected", "median_days_to_resolve", "on_time_percent"]]

    def row(section, key, label, b):
        return [section, key, label, b["received"], b["open"], b["resolved"], b["rejected"], b["median_days"],
                b["on_time_percent"]]  # fmt: skip

    rows.append(row("total", stats["fiscal_year"] or "", _("All complaints"), stats["total"]))
    rows += [row("category", b["category"], b["label"], b) for b in stats["by_category"]]
    rows += [row("village", b["village"], b["village"], b) for b in stats["by_village"]]
    rows += [row("fiscal_year", b["fiscal_year"], b["fiscal_year"], b) for b in stats["by_fiscal_year"]]
    return rows


def home_summary(user) -> dict:
    from accounts.selectors import default_organisation

    organisation = default_organisation()
    if organisation is None:
        return {}
    qs = Complaint.objects.filter(organisation=organisation)
    this_year = fiscal_year(timezone.now())
    return {
        "stats": [
            {"label": _("complaints being handled"), "value": qs.filter(state__in=OPEN_STATES).count()},
            {
                "label": _("resolved in fiscal year %(year)s") % {"year": this_year},
                "value": sum(
                    1 for d in qs.filter(state=State.RESOLVED).values_list("closed_at", flat=True) if fiscal_year(d) == this_year
                ),
            },  # fmt: skip
        ],
        "latest": [],
    }


def desk_items(user) -> list[dict]:
    """Open complaints of the user's organisations for the staff desk (config.desk), with their
    service-level deadline."""
    org_ids = staff_org_ids(user)
    if not org_ids:
        return []
    labels = dict(State.choices)
    rows = Complaint.objects.filter(organisation_id__in=org_ids, state__in=OPEN_STATES).order_by("created_at")[:200]
    return [
        {
            "roles": list(STAFF_ROLES),
            "organisation_id": c.organisation_id,
            "what": _("Complaint: %(state)s") % {"state": labels.get(c.state, c.state)},
            "title": c.title,
            "url": c.get_absolute_url(),
            "since": c.created_at,
            "due": c.due_at,
        }  # fmt: skip
        for c in rows
    ]
