"""The ITA evidence report: every participation activity of one Thai fiscal year with the four
elements the ITA participation item asks for (DESIGN.md, Thai specifics):

1. the issue (ประเด็น),
2. who took part (ผู้มีส่วนร่วม): a summary by village and by channel,
3. the results (ผลการมีส่วนร่วม),
4. how the results changed the municipality's work (การนำผลไปปรับปรุงการดำเนินงาน): the linked
   decision, answers and progress updates, or the response and the council's outcome.

One structure feeds the printable page, the CSV and the PDF (opendata/pdf.py), so the three always
say the same. An activity belongs to the fiscal year in which it started: a consultation when it
was published, a petition when it opened for signatures.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts import thai
from accounts.models import Organisation
from consultations import selectors as consultation_selectors
from petitions import selectors as petition_selectors
from petitions.models import CouncilDecision, Kind
from petitions.models import State as PetitionState

from .datasets import Scope, consultation_published_at, public_consultations, public_petitions


@dataclass
class Activity:
    kind: str  # "consultation" or "petition"
    id: int
    url: str
    title: str
    type_label: str
    started_at: dt.datetime
    period: str
    issue: list[str]
    participants: int
    by_village: list[tuple[str, int]]
    channels: list[str]
    results: list[str]
    changes: list[str]
    participants_label: str = ""


@dataclass
class Report:
    year: int  # B.E.
    organisation: Organisation | None
    start: dt.date
    end: dt.date
    activities: list[Activity] = field(default_factory=list)
    # The other figures the ITA asks for, each a list of lines: satisfaction results, complaints.
    evidence: list[tuple[str, list[str]]] = field(default_factory=list)

    @property
    def title(self) -> str:
        return _("Participation activities, fiscal year %(year)s") % {"year": self.year_shown}

    @property
    def year_shown(self) -> int:
        return self.year if _language() == "th" else self.year - thai.BE_OFFSET

    @property
    def period(self) -> str:
        return f"{thai.format_date(self.start)} – {thai.format_date(self.end)}"

    @property
    def organisation_name(self) -> str:
        return self.organisation.display_name(_language()) if self.organisation else ""


def _language() -> str:
    return (translation.get_language() or settings.LANGUAGE_CODE)[:2]


def current_fiscal_year() -> int:
    return thai.fiscal_year(timezone.localdate())


def bounds(year_be: int) -> tuple[dt.datetime, dt.datetime]:
    """[1 October of the year before, 1 October) in local time."""
    tz = timezone.get_current_timezone()
    year = year_be - thai.BE_OFFSET
    return dt.datetime(year - 1, 10, 1, tzinfo=tz), dt.datetime(year, 10, 1, tzinfo=tz)


def _consultation_starts(scope: Scope) -> dict[int, tuple]:
    consultations = list(public_consultations(scope))
    published = consultation_published_at([c.pk for c in consultations])
    return {c.pk: (c, published.get(c.pk) or c.span[0] or c.created_at) for c in consultations}


def fiscal_years(organisation: Organisation | None = None) -> list[int]:
    """Fiscal years (B.E.) with at least one activity, newest first, and always the current one."""
    scope = Scope(organisation_id=organisation.pk if organisation else None)
    starts = [start for _c, start in _consultation_starts(scope).values()]
    # The distinct months petitions began in, from the database (not one object per petition).
    months = (
        public_petitions(scope)
        .order_by()
        .annotate(start=TruncMonth(Coalesce("opened_at", "moderation_requested_at", "created_at")))
        .values_list("start", flat=True)
        .distinct()
    )
    starts += [m for m in months if m is not None]
    return sorted({thai.fiscal_year(s) for s in starts} | {current_fiscal_year()}, reverse=True)


def petition_start(p) -> dt.datetime:
    """When a petition's activity began: opened for signing, or (rejected in moderation) submitted."""
    return p.opened_at or p.moderation_requested_at or p.created_at


def _date(value) -> str:
    return thai.format_date(value) if value else ""


def _consultation(c, started_at) -> Activity:
    record = consultation_selectors.participation_record(c)
    dates = record["dates"]
    end = dates["closed_at"] or dates["decided_at"]
    said = record["said"]
    results = [
        _("Problems raised: %(n)s (supports: %(supports)s)") % {"n": said["problems"], "supports": said["supports"]},
        _("Alternatives: %(n)s (by residents: %(residents)s)")
        % {"n": said["alternatives"], "residents": said["alternatives_by_residents"]},
        _("Comments: %(n)s") % {"n": said["comments"]},
    ]  # fmt: skip
    if said["ballots"] is not None:
        results.append(_("Ballots cast: %(n)s") % {"n": said["ballots"]})
    for i in record["inputs"]:
        if i["type"] == "alternative" and i["votes"] is not None:
            results.append(_("Votes for “%(title)s”: %(n)s") % {"title": i["title"], "n": i["votes"]})
    if said["top_problems"]:
        results.append(_("Problems with most support: %(list)s") % {"list": "; ".join(said["top_problems"])})
    changes = []
    decision = record["decision"]
    if decision:
        changes.append(
            _("Decision (%(date)s): %(text)s") % {"date": _date(decision["recorded_at"]), "text": decision["rationale"]}
        )
        changes.append(_("Council resolution: %(text)s") % {"text": decision["council_resolution"]})
        if decision["chosen"]:
            changes.append(_("Adopted: %(list)s") % {"list": "; ".join(decision["chosen"])})
        if decision["resident_alternatives_adopted"]:
            changes.append(
                _("Adopted from residents' proposals: %(list)s") % {"list": "; ".join(decision["resident_alternatives_adopted"])}
            )
        for i in record["inputs"]:
            if i["answer"]:
                changes.append(_("Answer to “%(title)s”: %(text)s") % {"title": i["title"], "text": i["answer"]})
    for u in sorted(record["progress"], key=lambda u: u["at"]):
        done = _(" (%(p)s%% done)") % {"p": u["percent_complete"]} if u["percent_complete"] is not None else ""
        changes.append(_("Progress %(date)s%(done)s: %(text)s") % {"date": _date(u["at"]), "done": done, "text": u["text"]})
    if not changes:
        if c.level == "inform":
            changes.append(_("An information activity: the results were published to residents; no decision was to be made."))
        else:
            changes.append(_("No decision has been published yet (stage: %(stage)s).") % {"stage": c.get_state_display()})
    return Activity(
        kind="consultation", id=c.pk, url=c.get_absolute_url(), title=record["topic"],
        type_label=_("Consultation · %(level)s") % {"level": record["level_label"]},
        started_at=started_at, period=f"{_date(started_at)} – {_date(end)}" if end else _date(started_at),
        issue=[t for t in (record["topic"], record["summary"]) if t], participants=record["participants"]["total"],
        participants_label=_("people took part online"),
        by_village=[(row["village"], row["count"]) for row in record["participants"]["by_village"]],
        channels=record["channels"], results=results, changes=changes,
    )  # fmt: skip


def _petition(p) -> Activity:
    from django.contrib.auth.models import AnonymousUser

    petition_selectors.withhold_for(p, AnonymousUser())  # a withheld text stays out of the public report
    counts = petition_selectors.petition_counts(p.pk, fresh=True)
    results = [_("Status: %(state)s") % {"state": p.get_state_display()}]
    if p.response_threshold:
        line = _("Response threshold: %(n)s signatures") % {"n": p.response_threshold}
        if p.response_threshold_reached_at:
            line += " · " + _("reached on %(date)s") % {"date": _date(p.response_threshold_reached_at)}
        results.append(line)
    line = _("Council threshold: %(n)s signatures") % {"n": p.council_threshold}
    if p.council_threshold_reached_at:
        line += " · " + _("reached on %(date)s") % {"date": _date(p.council_threshold_reached_at)}
    results.append(line)
    if p.submitted_at:
        results.append(_("Submitted to the council on %(date)s") % {"date": _date(p.submitted_at)})
    changes = []
    response = getattr(p, "response", None)
    if response is not None:
        changes.append(
            _("Municipality's response (%(date)s): %(text)s") % {"date": _date(response.published_at), "text": response.text}
        )
    outcome = getattr(p, "council_outcome", None)
    if outcome is not None:
        changes.append(
            _("Council decision (%(date)s, %(meeting)s): %(decision)s. %(summary)s")
            % {"date": _date(outcome.decided_on), "meeting": outcome.meeting, "decision": CouncilDecision(outcome.decision).label,
               "summary": outcome.summary}
        )  # fmt: skip
    if p.state == PetitionState.REJECTED:
        changes.append(_("Not opened for signing: %(reason)s") % {"reason": p.rejection_reason})
    if not changes:
        changes.append(_("No response or council decision yet."))
    end = p.closed_at
    return Activity(
        kind="petition", id=p.pk, url=p.get_absolute_url(), title=p.title,
        type_label=str(Kind(p.kind).label), started_at=petition_start(p),
        period=f"{_date(petition_start(p))} – {_date(end)}" if end else _date(petition_start(p)),
        issue=[t for t in (p.title, p.body) if t], participants=counts.total,
        participants_label=_("confirmed signatures"),
        by_village=[(f"หมู่ที่ {r['number']} {r['name']}".strip(), r["count"])
                    for r in petition_selectors.village_rows(p, counts) if r["count"]],
        channels=[_("Online on Ruamkid")], results=results, changes=changes,
    )  # fmt: skip


def report(year_be: int, *, organisation: Organisation | None) -> Report:
    start, end = bounds(year_be)
    scope = Scope(organisation_id=organisation.pk if organisation else None)
    activities = [_consultation(c, at) for c, at in _consultation_starts(scope).values() if start <= at < end]
    petitions = public_petitions(scope).select_related("response", "council_outcome")
    activities += [_petition(p) for p in petitions if start <= petition_start(p) < end]
    activities.sort(key=lambda a: (a.started_at, a.kind, a.id))
    return Report(
        year=year_be,
        organisation=organisation,
        start=start.date(),
        end=(end - dt.timedelta(days=1)).date(),
        activities=activities,
        evidence=_evidence(year_be, organisation) if organisation else [],
    )


def _evidence(year_be: int, organisation: Organisation) -> list[tuple[str, list[str]]]:
    """The satisfaction survey's yearly result and the complaint and integrity-report figures of the
    year (surveys and complaints), as the ITA asks for them beside the participation activities."""
    from complaints import integrity
    from complaints.selectors import statistics_for
    from surveys.selectors import satisfaction_by_fiscal_year

    found = []
    year = next((y for y in satisfaction_by_fiscal_year(organisation) if y["fiscal_year"] == year_be), None)
    found.append((
        _("Satisfaction with the municipality's services"),
        [_("%(n)s responses to the standard satisfaction survey; mean %(mean)s of 5 (%(percent)s%%).")
         % {"n": year["responses"], "mean": year["mean"], "percent": year["percent"]}]
        if year else [_("No answers to the standard satisfaction survey in this fiscal year.")],
    ))  # fmt: skip
    total = statistics_for(organisation, year=year_be, language=_language())["total"]
    lines = [_("%(received)s complaints received: %(resolved)s resolved, %(rejected)s rejected, %(open)s still open.") % total]
    if total["median_days"] is not None:
        lines.append(_("Median days to resolve: %(days)s; resolved on time: %(percent)s%%.")
                     % {"days": total["median_days"], "percent": total["on_time_percent"]})  # fmt: skip
    found.append((_("Complaints and requests"), lines))
    counts = next((y for y in integrity.statistics(organisation)["by_fiscal_year"] if y["fiscal_year"] == year_be), None)
    found.append((
        _("Corruption and misconduct reports"),
        [_("%(received)s received, %(in_progress)s in progress, %(completed)s completed.") % counts]
        if counts else [_("No corruption or misconduct report in this fiscal year.")],
    ))  # fmt: skip
    return found


CSV_HEADER = (
    "fiscal_year", "type", "id", "title", "period", "issue", "participants", "participants_by_village", "channels", "results",
    "changes", "url",
)  # fmt: skip


def csv_rows(r: Report):
    """One row per activity: the four elements in their own columns (docs/OPEN_DATA.md#ita-evidence)."""
    yield list(CSV_HEADER)
    for a in r.activities:
        yield [
            r.year, a.type_label, a.id, a.title, a.period, " / ".join(a.issue), a.participants,
            "; ".join(f"{village}: {n}" for village, n in a.by_village), "; ".join(a.channels), "\n".join(a.results),
            "\n".join(a.changes), a.url,
        ]  # fmt: skip
    for heading, lines in r.evidence:  # the yearly figures beside the activities (type = their heading)
        yield [r.year, heading, "", "", "", "", "", "", "", "\n".join(lines), "", ""]
