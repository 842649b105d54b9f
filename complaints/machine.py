"""The complaint machine's hook into the engine (registered in ComplaintsConfig.ready()).

`on_move(complaint, move)` runs inside the transition's transaction after every move and returns
the outbox events: the filer is told at each step (their account, or the email address they gave;
an anonymous filer without an address follows the tracking page). The events carry only what the
message needs: the tracking link, the category, the new state, a reason; never the filer's text.
"""

from __future__ import annotations

from workflows.registry import Move

from .models import Complaint, State

STAFF_ROLES = ["moderator", "clerk", "admin"]

EVENTS = {
    "assign": "complaint.assigned",
    "start": "complaint.in_progress",
    "resolve": "complaint.resolved",
    "reject": "complaint.rejected",
}


def filer_audience(c: Complaint) -> dict:
    if c.filer_id:
        return {"users": [c.filer_id]}
    if c.filer_email:
        return {"emails": [{"email": c.filer_email, "name": c.filer_name, "language": c.language}]}
    return {}


def base_data(c: Complaint) -> dict:
    return {
        "title": f"{c.tracking_code} · {c.category.display_name(c.language)}",
        "url": c.tracking_url(),
        "tracking_code": c.tracking_code,
        "category": c.category.name,
        "state": c.state,
        "state_label": str(State(c.state).label),
        "due_date": c.due_at.isoformat() if c.due_at else "",
    }


def event(c: Complaint, name: str, audience: dict, **data) -> dict:
    return {
        "event": name,
        "data": base_data(c) | data,
        "audience": audience,
        "organisation_id": c.organisation_id,
        "record_type": "complaints.complaint",
        "record_id": c.pk,
    }


def on_move(c: Complaint, move: Move) -> list[dict]:
    name = EVENTS.get(move.name)
    audience = filer_audience(c)
    if name is None or not audience:
        return []
    extra = {"reason": move.reason} if move.name in ("resolve", "reject") else {}
    if c.division_id:
        extra["division"] = c.division.display_name(c.language)
    return [event(c, name, audience, **extra)]


def title(c: Complaint) -> str:
    return c.tracking_code


def public_url(c: Complaint) -> str:
    return c.get_absolute_url()


def visible_to(c: Complaint, user) -> bool:
    from . import rules

    return rules.can_see(c, user)
