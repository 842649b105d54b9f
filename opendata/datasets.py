"""The open datasets: what the public may read of every record, as rows (docs/OPEN_DATA.md).

Each dataset is a list of field names and a function that yields one dict per row. The pages and
the API decide what is public; the rows here are built from the domain apps' own public readers
(`visible_consultations` of an anonymous visitor, `petitions_public`, `results_visible`…), so an
export never shows more than a page. No row carries an email, an ID number, an address hash, a
person's name or how one person voted: residents appear only as counts.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from consultations import selectors as consultation_selectors
from consultations.models import Alternative, Consultation, Decision, Problem, ProgressUpdate, Visibility
from consultations.models import State as ConsultationState
from petitions import selectors as petition_selectors
from petitions.models import CouncilOutcome, Response
from workflows.models import AuditEntry

DECIDED = (ConsultationState.DECIDED, ConsultationState.IMPLEMENTING, ConsultationState.CLOSED)


@dataclass(frozen=True)
class Scope:
    """Which rows: all public ones, or those of one organisation, consultation or petition."""

    organisation_id: int | None = None
    consultation_id: int | None = None
    petition_id: int | None = None


@dataclass(frozen=True)
class Dataset:
    name: str
    title: str
    description: str
    fields: tuple[str, ...]
    rows: Callable[[Scope], Iterable[dict]]
    about: str = "consultation"  # which per-record filter applies: "consultation", "petition" or "audit"


def when(value) -> str | None:
    """Datetimes in UTC ISO 8601, dates as YYYY-MM-DD: one spelling in CSV and JSON."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    return value.isoformat()


# --- consultations ---------------------------------------------------------------------------------


def public_consultations(scope: Scope):
    qs = consultation_selectors.visible_consultations(AnonymousUser()).exclude(state=ConsultationState.DRAFT)
    if scope.organisation_id is not None:
        qs = qs.filter(organisation_id=scope.organisation_id)
    if scope.consultation_id is not None:
        qs = qs.filter(pk=scope.consultation_id)
    if scope.petition_id is not None:
        qs = qs.none()
    return qs.select_related("organisation").prefetch_related("stages").order_by("id")


def consultation_published_at(consultation_ids) -> dict[int, dt.datetime]:
    """When each consultation was published (its move into informing, from the audit chain)."""
    rows = AuditEntry.objects.filter(
        record_type="consultations.consultation", record_id__in=[str(i) for i in consultation_ids], to_state="informing"
    ).values_list("record_id", "created_at")
    found: dict[int, dt.datetime] = {}
    for record_id, at in rows:
        found.setdefault(int(record_id), at)
    return found


def consultation_rows(scope: Scope) -> Iterator[dict]:
    consultations = list(public_consultations(scope))
    published = consultation_published_at([c.pk for c in consultations])
    for c in consultations:
        start, end = c.span
        yield {
            "id": c.pk,
            "organisation": c.organisation.slug,
            "title": c.title,
            "summary": c.summary,
            "level": c.level,
            "state": c.state,
            "voting": c.voting,
            "channels": [line.strip() for line in c.channels.splitlines() if line.strip()],
            "created_at": when(c.created_at),
            "published_at": when(published.get(c.pk)),
            "scheduled_start": when(start),
            "scheduled_end": when(end),
            "url": c.get_absolute_url(),
        }


def _contributions(model, scope: Scope):
    return model.objects.filter(consultation__in=public_consultations(scope)).select_related("consultation")


def problem_rows(scope: Scope) -> Iterator[dict]:
    problems = (
        _contributions(Problem, scope)
        .filter(Q(visibility=Visibility.PUBLISHED) | Q(visibility=Visibility.MERGED))
        .annotate(n_supports=Count("supports"))
        .order_by("consultation_id", "id")
    )
    for p in problems:
        yield {
            "id": p.pk,
            "consultation_id": p.consultation_id,
            "title": p.title,
            "body": p.body,
            "visibility": p.visibility,
            "merged_into_id": p.merged_into_id,
            "supporters": p.n_supports,
            "created_at": when(p.created_at),
            "answer": p.response if p.consultation.state in DECIDED else "",
        }


def _counts_if_visible(c: Consultation) -> dict[int, int] | None:
    if not consultation_selectors.results_visible(c):
        return None
    return consultation_selectors.tally(c)["counts"]


def alternative_rows(scope: Scope) -> Iterator[dict]:
    alternatives = (
        _contributions(Alternative, scope)
        .filter(visibility=Visibility.PUBLISHED)
        .prefetch_related("problems")
        .order_by("consultation_id", "id")
    )
    chosen = set(
        Decision.chosen.through.objects.filter(decision__consultation__in=public_consultations(scope)).values_list(
            "alternative_id", flat=True
        )
    )
    counts: dict[int, dict | None] = {}
    for a in alternatives:
        c = a.consultation
        if c.pk not in counts:
            counts[c.pk] = _counts_if_visible(c)
        decided = c.state in DECIDED
        yield {
            "id": a.pk,
            "consultation_id": c.pk,
            "title": a.title,
            "body": a.body,
            "proposed_by": "staff" if a.by_staff else "resident",
            "problem_ids": sorted(p.pk for p in a.problems.all()),
            "votes": None if counts[c.pk] is None else counts[c.pk].get(a.pk, 0),
            "adopted": (a.pk in chosen) if decided else None,
            "answer": a.response if decided else "",
            "created_at": when(a.created_at),
        }


def tally_rows(scope: Scope) -> Iterator[dict]:
    for c in public_consultations(scope):
        if not consultation_selectors.results_visible(c):
            continue
        result = consultation_selectors.results(c)
        for row in result["alternatives"]:
            yield {
                "consultation_id": c.pk,
                "alternative_id": row["id"],
                "alternative": row["title"],
                "votes": row["votes"],
                "online_votes": row["online_votes"],
                "village_meeting_votes": row["meeting_votes"],
                "winner": row["winner"],
                "ballots": result["ballots"],
                "voting": result["voting"],
                "final": result["final"],
            }


def decision_rows(scope: Scope) -> Iterator[dict]:
    decisions = (
        Decision.objects.filter(consultation__in=public_consultations(scope).filter(state__in=DECIDED))
        .prefetch_related("chosen")
        .order_by("consultation_id")
    )
    for d in decisions:
        yield {
            "consultation_id": d.consultation_id,
            "rationale": d.rationale,
            "council_resolution": d.council_resolution,
            "chosen_alternative_ids": sorted(a.pk for a in d.chosen.all()),
            "recorded_at": when(d.recorded_at),
        }


def progress_rows(scope: Scope) -> Iterator[dict]:
    updates = ProgressUpdate.objects.filter(
        consultation__in=public_consultations(scope).filter(state__in=[ConsultationState.IMPLEMENTING, ConsultationState.CLOSED])
    ).order_by("consultation_id", "created_at", "id")
    for u in updates:
        yield {
            "id": u.pk,
            "consultation_id": u.consultation_id,
            "body": u.body,
            "percent_complete": u.percent_complete,
            "created_at": when(u.created_at),
        }


# --- petitions ---------------------------------------------------------------------------------------


def public_petitions(scope: Scope):
    qs = petition_selectors.petitions_public(organisation_id=scope.organisation_id)
    if scope.petition_id is not None:
        qs = qs.filter(pk=scope.petition_id)
    if scope.consultation_id is not None:
        qs = qs.none()
    return qs.select_related("organisation").order_by("id")


def petition_rows(scope: Scope) -> Iterator[dict]:
    from django.contrib.auth.models import AnonymousUser

    # A text withheld by its moderation (libel, personal data…) is the placeholder here too.
    petitions = petition_selectors.withhold_for(public_petitions(scope), AnonymousUser())
    totals = petition_selectors.totals_for([p.pk for p in petitions])
    for p in petitions:
        yield {
            "id": p.pk,
            "organisation": p.organisation.slug,
            "kind": p.kind,
            "title": p.title,
            "body": p.body,
            "background": p.background,
            "state": p.state,
            "response_state": p.response_state,
            "signatures": totals[p.pk],
            "paper_signatures": petition_selectors.paper_counts(p.pk)["total"],
            "response_threshold": p.response_threshold,
            "council_threshold": p.council_threshold,
            "opened_at": when(p.opened_at),
            "closes_at": when(p.closes_at),
            "closed_at": when(p.closed_at),
            "response_threshold_reached_at": when(p.response_threshold_reached_at),
            "council_threshold_reached_at": when(p.council_threshold_reached_at),
            "submitted_at": when(p.submitted_at),
            "council_due_at": when(p.council_due_at),
            "rejection_code": p.rejection_code,
            "rejection_reason": p.rejection_reason,
            "url": p.get_absolute_url(),
        }


def village_count_rows(scope: Scope) -> Iterator[dict]:
    for p in public_petitions(scope):
        counts = petition_selectors.petition_counts(p.pk, fresh=True)
        paper = petition_selectors.paper_counts(p.pk)["villages"]
        for row in petition_selectors.village_rows(p, counts):
            yield {
                "petition_id": p.pk, "village_number": row["number"], "village_name": row["name"], "signatures": row["count"],
                "paper_signatures": paper.get(row["number"], 0),
            }  # fmt: skip


def hour_count_rows(scope: Scope) -> Iterator[dict]:
    for p in public_petitions(scope):
        paper = petition_selectors.paper_counts(p.pk)["hours"]
        for hour, n in sorted(petition_selectors.petition_counts(p.pk, fresh=True).hours):
            yield {"petition_id": p.pk, "hour": when(hour), "signatures": n, "paper_signatures": paper.get(hour, 0)}


def response_rows(scope: Scope) -> Iterator[dict]:
    for r in Response.objects.filter(petition__in=public_petitions(scope)).order_by("petition_id"):
        yield {"petition_id": r.petition_id, "text": r.text, "published_at": when(r.published_at)}


def outcome_rows(scope: Scope) -> Iterator[dict]:
    for o in CouncilOutcome.objects.filter(petition__in=public_petitions(scope)).order_by("petition_id"):
        yield {
            "petition_id": o.petition_id,
            "decision": o.decision,
            "summary": o.summary,
            "meeting": o.meeting,
            "decided_on": when(o.decided_on),
            "recorded_at": when(o.recorded_at),
        }


# --- the audit chain -------------------------------------------------------------------------------

AUDIT_FIELDS = (
    "id", "format", "organisation", "record_type", "record_id", "action", "name", "actor_ref", "actor_role",
    "created_at", "from_state", "to_state", "reason", "payload", "payload_digest", "prev_hash", "hash",
)  # fmt: skip


def audit_rows(scope: Scope) -> Iterator[dict]:
    """The whole chain in order, as /api/v1/audit/ publishes it (docs/AUDIT.md), without actor names."""
    entries = AuditEntry.objects.order_by("id")
    if scope.organisation_id is not None:
        entries = entries.filter(organisation_id=scope.organisation_id)
    if scope.consultation_id is not None:
        entries = entries.filter(record_type="consultations.consultation", record_id=str(scope.consultation_id))
    if scope.petition_id is not None:
        entries = entries.filter(record_type="petitions.petition", record_id=str(scope.petition_id))
    for e in entries.iterator(chunk_size=2000):
        yield {
            "id": e.pk,
            "format": e.format,
            "organisation": e.organisation_id,
            "record_type": e.record_type,
            "record_id": e.record_id,
            "action": e.action,
            "name": e.name,
            "actor_ref": e.actor_ref,
            "actor_role": e.actor_role,
            "created_at": e.created_at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
            "from_state": e.from_state,
            "to_state": e.to_state,
            "reason": e.reason,
            "payload": e.payload,
            "payload_digest": e.payload_digest,
            "prev_hash": e.prev_hash,
            "hash": e.hash,
        }


DATASETS: dict[str, Dataset] = {
    d.name: d
    for d in [
        Dataset(
            "consultations", _("Consultations"),
            _("Every published consultation: topic, participation level, stage and dates."),
            ("id", "organisation", "title", "summary", "level", "state", "voting", "channels", "created_at", "published_at",
             "scheduled_start", "scheduled_end", "url"),
            consultation_rows,
        ),
        Dataset(
            "problems", _("Problems raised"),
            _("Problems and needs residents raised, with the number of supporters and the answer."),
            ("id", "consultation_id", "title", "body", "visibility", "merged_into_id", "supporters", "created_at", "answer"),
            problem_rows,
        ),
        Dataset(
            "alternatives", _("Alternatives"),
            _("Alternatives proposed by staff and residents, their votes and the answer to each."),
            ("id", "consultation_id", "title", "body", "proposed_by", "problem_ids", "votes", "adopted", "answer", "created_at"),
            alternative_rows,
        ),
        Dataset(
            "tallies", _("Vote tallies"), _("Votes per alternative, once the results are public (never who voted for what)."),
            ("consultation_id", "alternative_id", "alternative", "votes", "online_votes", "village_meeting_votes", "winner",
             "ballots", "voting", "final"),
            tally_rows,
        ),
        Dataset(
            "decisions", _("Decisions"),
            _("Published decisions: the rationale, the council resolution and the alternatives chosen."),
            ("consultation_id", "rationale", "council_resolution", "chosen_alternative_ids", "recorded_at"),
            decision_rows,
        ),
        Dataset(
            "progress", _("Implementation progress"), _("Progress updates on decided consultations."),
            ("id", "consultation_id", "body", "percent_complete", "created_at"),
            progress_rows,
        ),
        Dataset(
            "petitions", _("Petitions"),
            _("Every public petition: what it asks, its state, thresholds, signature count and dates."),
            ("id", "organisation", "kind", "title", "body", "background", "state", "response_state", "signatures",
             "paper_signatures", "response_threshold", "council_threshold", "opened_at", "closes_at", "closed_at",
             "response_threshold_reached_at", "council_threshold_reached_at", "submitted_at", "council_due_at",
             "rejection_code", "rejection_reason", "url"),
            petition_rows, "petition",
        ),
        Dataset(
            "signatures-by-village", _("Signatures by village"), _("Confirmed signatures of each petition per village (หมู่ที่)."),
            ("petition_id", "village_number", "village_name", "signatures", "paper_signatures"),
            village_count_rows, "petition",
        ),
        Dataset(
            "signatures-by-hour", _("Signatures by hour"), _("Confirmed signatures of each petition per hour (UTC)."),
            ("petition_id", "hour", "signatures", "paper_signatures"),
            hour_count_rows, "petition",
        ),
        Dataset(
            "responses", _("Municipal responses"), _("The municipality's published responses to petitions."),
            ("petition_id", "text", "published_at"),
            response_rows, "petition",
        ),
        Dataset(
            "council-outcomes", _("Council outcomes"), _("What the council decided on petitions submitted to it."),
            ("petition_id", "decision", "summary", "meeting", "decided_on", "recorded_at"),
            outcome_rows, "petition",
        ),
        Dataset(
            "audit", _("Audit chain"),
            _("Every entry of the hash-chained audit trail, enough to recompute each hash (docs/AUDIT.md)."),
            AUDIT_FIELDS, audit_rows, "audit",
        ),
    ]
}  # fmt: skip


def csv_cell(value):
    """Lists and payloads as text a spreadsheet keeps in one cell."""
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return value


def table(dataset: Dataset, scope: Scope) -> Iterator[list]:
    """The header and rows of a dataset, ready for workflows.exports.csv_response."""
    yield list(dataset.fields)
    for row in dataset.rows(scope):
        yield [csv_cell(row[name]) for name in dataset.fields]


def bundle(scope: Scope, about: str) -> dict:
    """Every dataset that applies to one record (a consultation or a petition), rows by dataset."""
    return {name: list(d.rows(scope)) for name, d in DATASETS.items() if d.about in (about, "audit")}
