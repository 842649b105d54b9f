"""The petition machine's hook into the engine (registered in PetitionsConfig.ready()).

`on_move(petition, move)` runs inside the transition's transaction after every move, whoever made
it (a page, the generic API, a deadline). It keeps what hangs off a move in step with the state
(the deadlines, the published Response and CouncilOutcome rows) and returns the catalogue events
for the outbox. Because it runs for every path, the generic transition endpoint and the pages
cannot disagree.
"""

from __future__ import annotations

from functools import partial

from django.db import transaction
from django.utils import timezone

from workflows.registry import Move
from workflows.services import deadline_cancel, deadline_schedule

from .models import CouncilDecision, CouncilOutcome, Kind, Petition, RejectionCode, Response, State
from .selectors import petition_total

STAFF = ["moderator", "admin"]
COUNCIL_STAFF = ["clerk", "moderator", "admin"]
# Everyone who signed and did not opt out (selectors.signers_audience), with the followers and the author.
SIGNERS = "petitions.signers"
PEOPLE = {"followers": True, "sources": [SIGNERS]}


def _iso(value) -> str:
    return value.isoformat() if value else ""


def base_data(petition: Petition) -> dict:
    from .selectors import withheld_title_both

    return {
        # Withheld text (libel, personal data…) stays out of the mail and the inboxes too.
        "title": withheld_title_both() if petition.text_withheld else petition.title,
        "url": petition.get_absolute_url(),
        "petition_id": petition.pk,
        "kind": petition.kind,
        "state": petition.state,
    }


def event(petition: Petition, name: str, audience: dict, **data) -> dict:
    return {
        "event": name,
        "data": base_data(petition) | data,
        "audience": audience,
        "organisation_id": petition.organisation_id,
        "record_type": "petitions.petition",
        "record_id": petition.pk,
    }


# Moves after which the signature log is checkpointed on the chain (once they commit): the
# thresholds, the end of signing, and hiding an open petition.
LOG_CHECKPOINT_MOVES = frozenset({"require_response", "reach_council_threshold", "close", "close_early", "submit", "hide"})


def on_move(petition: Petition, move: Move) -> list[dict]:
    if move.name in LOG_CHECKPOINT_MOVES:
        from .siglog import seal_after_move

        transaction.on_commit(partial(seal_after_move, petition.pk, move.name))
    handler = _HANDLERS.get(move.name)
    return handler(petition, move) if handler else []


def _request_sponsors(p: Petition, move: Move) -> list[dict]:
    """To the author: the link to pass on to residents who will sponsor the petition."""
    sponsor_url = f"/petitions/{p.pk}/sponsor/{p.sponsor_token}/"
    return [
        event(
            p,
            "petition.sponsor_requested",
            {"users": [p.author_id]},
            url=sponsor_url,
            petition_url=p.get_absolute_url(),
            sponsor_url=sponsor_url,
            sponsors_required=p.sponsors_required,
        )
    ]


def _sponsors_complete(p: Petition, move: Move) -> list[dict]:
    due = p.moderation_due_at()
    deadline_schedule(p, transition="moderation_overdue", due_at=due)
    return [
        event(p, "petition.awaiting_moderation", {"roles": STAFF}, due_date=_iso(due)),  # the moderators' desk
        # The author hears their sponsors are complete and the municipality checks it now.
        event(p, "petition.sponsors_complete", {"users": [p.author_id]}, count=p.sponsor_count(), due_date=_iso(due)),
    ]


def _open(p: Petition, move: Move) -> list[dict]:
    deadline_cancel(p, transition="moderation_overdue")
    deadline_schedule(p, transition="close", due_at=p.closes_at)
    return [event(p, "petition.opened", {"followers": True, "users": [p.author_id]}, closes_at=_iso(p.closes_at))]


def _rejected(p: Petition, move: Move) -> list[dict]:
    deadline_cancel(p)
    hidden = move.name == "hide"
    audience = {"users": [p.author_id]} if hidden else {"followers": True, "users": [p.author_id]}
    return [
        event(
            p,
            "petition.rejected",
            audience,
            reason_code=p.rejection_code,
            reason=p.rejection_reason,
            reason_label=str(RejectionCode(p.rejection_code).label),
            hidden=hidden,
        )
    ]


def _restored(p: Petition, move: Move) -> list[dict]:
    """Back where it was: its deadlines as they would be there (hide and reject cancelled them all)."""
    if p.state == State.AWAITING_MODERATION:
        deadline_schedule(p, transition="moderation_overdue", due_at=p.moderation_due_at())
    elif p.state == State.OPEN:
        due_for_council = not p.is_ordinance and p.council_threshold_reached_at is not None
        deadline_schedule(p, transition="submit" if due_for_council else "close", due_at=p.closes_at or timezone.now())
    elif p.state == State.CLOSED:
        if p.is_ordinance and p.report_due_at and p.council_threshold_reached_at:
            deadline_schedule(p, transition="report_overdue", due_at=p.report_due_at)
        elif not p.is_ordinance and p.council_threshold_reached_at:
            deadline_schedule(p, transition="submit", due_at=timezone.now())
    public = p.state in (State.OPEN, State.CLOSED)
    audience = {"followers": True, "users": [p.author_id]} if public else {"users": [p.author_id]}
    return [event(p, "petition.restored", audience, reason=move.reason)]


def _withdrawn(p: Petition, move: Move) -> list[dict]:
    deadline_cancel(p)
    return []


def _moderation_overdue(p: Petition, move: Move) -> list[dict]:
    return [event(p, "petition.moderation_overdue", {"roles": STAFF}, due_date=_iso(p.moderation_due_at()), overdue=True)]


def _council_threshold(p: Petition, move: Move) -> list[dict]:
    # A general petition keeps collecting until its window ends; it then goes to the council.
    deadline_cancel(p, transition="close")
    deadline_schedule(p, transition="submit", due_at=p.closes_at or timezone.now())
    return [
        event(
            p,
            "petition.council_threshold_reached",
            {"followers": True, "roles": COUNCIL_STAFF},
            count=petition_total(p.pk),
            threshold=p.council_threshold,
        )
    ]


def _threshold_after_close(p: Petition, move: Move) -> list[dict]:
    if p.is_ordinance:
        deadline_schedule(p, transition="report_overdue", due_at=p.report_due_at)
    else:
        deadline_schedule(p, transition="submit", due_at=timezone.now())
    data = {"report_due_date": _iso(p.report_due_at)} if p.is_ordinance else {}
    return [
        event(
            p, "petition.council_threshold_reached", {"followers": True, "roles": COUNCIL_STAFF},
            count=petition_total(p.pk), threshold=p.council_threshold, **data,
        )
    ]  # fmt: skip


def _closed(p: Petition, move: Move) -> list[dict]:
    deadline_cancel(p, transition="close")
    if p.kind == Kind.ORDINANCE and p.report_due_at and move.name == "close" and p.council_threshold_reached_at:
        deadline_schedule(p, transition="report_overdue", due_at=p.report_due_at)
        return [
            event(
                p,
                "petition.council_threshold_reached",
                {"followers": True, "roles": COUNCIL_STAFF},
                count=petition_total(p.pk),
                threshold=p.council_threshold,
                report_due_date=_iso(p.report_due_at),
            )
        ]
    return []


def _submitted(p: Petition, move: Move) -> list[dict]:
    for name in ("close", "submit", "report_overdue"):
        deadline_cancel(p, transition=name)
    if p.council_due_at:
        deadline_schedule(p, transition="council_overdue", due_at=p.council_due_at)
    # The signers hear their petition went to the council; the clerks find it on their desk.
    audience = PEOPLE | {"users": [p.author_id], "roles": ["clerk"]}
    return [event(p, "petition.submitted", audience, submitted_at=_iso(p.submitted_at), council_due_date=_iso(p.council_due_at))]


def _report_overdue(p: Petition, move: Move) -> list[dict]:
    return [event(p, "petition.ordinance_report_due", {"roles": COUNCIL_STAFF}, due_date=_iso(p.report_due_at), overdue=True)]


def _council_overdue(p: Petition, move: Move) -> list[dict]:
    return [event(p, "petition.ordinance_council_due", {"roles": COUNCIL_STAFF}, due_date=_iso(p.council_due_at), overdue=True)]


def _decided(p: Petition, move: Move) -> list[dict]:
    deadline_cancel(p, transition="council_overdue")
    data = move.payload
    outcome = CouncilOutcome.objects.create(
        petition=p,
        decision=data["decision"],
        summary=data["summary"],
        meeting=data.get("meeting", ""),
        decided_on=data["decided_on"],
        recorded_by=move.actor if getattr(move.actor, "pk", None) else None,
    )
    return [
        event(
            p,
            "petition.council_outcome",
            PEOPLE | {"users": [p.author_id]},
            decision=outcome.decision,
            decision_label=str(CouncilDecision(outcome.decision).label),
            outcome_label=str(CouncilDecision(outcome.decision).label),
            summary=outcome.summary,
            meeting=outcome.meeting,
            decided_on=data["decided_on"],
            decision_date=data["decided_on"],
        )
    ]


def _require_response(p: Petition, move: Move) -> list[dict]:
    return [
        event(
            p,
            "petition.response_threshold_reached",
            {"followers": True, "roles": STAFF},
            count=petition_total(p.pk),
            threshold=p.response_threshold,
        )
    ]


def _threshold_lost(p: Petition, move: Move) -> list[dict]:
    """The count fell below a threshold it had reached: the deadlines follow, and the followers and
    staff hear it (the public record shows the move with the counts before and after)."""
    if move.name == "council_threshold_lost":
        deadline_cancel(p, transition="submit")
        deadline_cancel(p, transition="report_overdue")
        if p.state == "open" and p.closes_at:
            deadline_schedule(p, transition="close", due_at=p.closes_at)
    elif move.name == "reopen_collecting":
        deadline_cancel(p, transition="report_overdue")
        deadline_schedule(p, transition="close", due_at=p.closes_at)
    which = "response" if move.name == "response_threshold_lost" else "council"
    payload = move.payload or {}
    return [
        event(
            p,
            "petition.threshold_lost",
            {"followers": True, "users": [p.author_id], "roles": STAFF},
            which=which,
            move=move.name,
            count=payload.get("count_after"),
            count_before=payload.get("count_before"),
            threshold=p.response_threshold if which == "response" else p.council_threshold,
        )
    ]


def _respond(p: Petition, move: Move) -> list[dict]:
    response = Response.objects.create(
        petition=p, text=move.payload["text"], published_by=move.actor if getattr(move.actor, "pk", None) else None
    )
    text = response.text[:2000]
    return [event(p, "petition.responded", PEOPLE | {"users": [p.author_id]}, response=text, summary=text)]


_HANDLERS = {
    "request_sponsors": _request_sponsors,
    "sponsors_complete": _sponsors_complete,
    "open": _open,
    "reject": _rejected,
    "hide": _rejected,
    "restore": _restored,
    "withdraw": _withdrawn,
    "moderation_overdue": _moderation_overdue,
    "reach_council_threshold": _council_threshold,
    "close": _closed,
    "close_early": _closed,
    "submit": _submitted,
    "report_overdue": _report_overdue,
    "council_overdue": _council_overdue,
    "decide": _decided,
    "require_response": _require_response,
    "respond": _respond,
    "reach_threshold_after_close": _threshold_after_close,
    "response_threshold_lost": _threshold_lost,
    "council_threshold_lost": _threshold_lost,
    "reopen_collecting": _threshold_lost,
}


def title(petition: Petition) -> str:
    from .selectors import withheld_title

    return withheld_title() if petition.text_withheld else petition.title


def public_url(petition: Petition) -> str:
    return petition.get_absolute_url()


def visible_to(petition: Petition, user) -> bool:
    from . import rules

    return rules.can_see(petition, user)


def attach_parts(petition: Petition) -> dict[str, bool]:
    return {"": True}  # files hang on the petition itself (workflows.attachments)


def may_attach(petition: Petition, user, part: str) -> bool:
    """The author, while the petition is a draft (what sponsors and the public read stays put)."""
    from . import rules

    return part == "" and petition.state == State.DRAFT and rules.is_author(petition, user)


def published(petition: Petition) -> dict:
    """What the public reads of a petition's answers: bound into the audit chain each time it changes."""
    content: dict = {}
    response = Response.objects.filter(petition=petition).first()
    if response is not None:
        content["response"] = {"text": response.text, "published_at": _iso(response.published_at)}
    outcome = CouncilOutcome.objects.filter(petition=petition).first()
    if outcome is not None:
        content["council_outcome"] = {
            "decision": outcome.decision, "summary": outcome.summary, "meeting": outcome.meeting,
            "decided_on": _iso(outcome.decided_on),
        }  # fmt: skip
    return content
