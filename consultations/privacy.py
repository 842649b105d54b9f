"""Consultations' part of a person's data export (PDPA), registered with accounts.privacy in
apps.ready(). Erasure needs nothing here: what residents wrote stays in the hearing's public record
linked to the anonymised account (so it shows as "resident", and counts by village hold).

Votes are exported as "you voted" with the times, never the choice: a ballot is secret, and a file
that shows how someone voted is a receipt that could be sold or demanded (vote buying). The
consultation page shows the voter their own choice while voting is open, as before.
"""

from __future__ import annotations

from .models import Alternative, Ballot, Comment, Problem, Report, Support


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def _written(model, user, *fields: str) -> list[dict]:
    rows = model.objects.filter(author=user).select_related("consultation").order_by("id")
    return [
        {
            "id": row.pk,
            "consultation": row.consultation_id,
            "consultation_title": row.consultation.title,
            **{field: getattr(row, field) for field in fields},
            "body": row.body,
            "visibility": row.visibility,
            "created_at": _iso(row.created_at),
        }
        for row in rows
    ]


def export(user) -> dict:
    return {
        "problems": _written(Problem, user, "title"),
        "alternatives": _written(Alternative, user, "title"),
        "comments": _written(Comment, user, "problem_id", "alternative_id", "parent_id"),
        "supports": [
            {"problem": s.problem_id, "title": s.problem.title, "created_at": _iso(s.created_at)}
            for s in Support.objects.filter(user=user).select_related("problem").order_by("id")
        ],
        "reports": [
            {
                "consultation": r.consultation_id,
                "kind": r.kind,
                "object_id": r.object_id,
                "reason_code": r.reason_code,
                "note": r.note,
                "created_at": _iso(r.created_at),
            }
            for r in Report.objects.filter(reporter=user).order_by("id")
        ],  # fmt: skip
        "votes": [
            {
                "consultation": b.consultation_id,
                "title": b.consultation.title,
                "voted": True,
                "first_voted_at": _iso(b.created_at),
                "last_changed_at": _iso(b.updated_at),
                "changes": b.changes,
            }
            for b in Ballot.objects.filter(voter=user).select_related("consultation").order_by("id")
        ],  # fmt: skip
    }
