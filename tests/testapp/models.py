"""Ticket: a small machine with two FSM fields, conditions, role-based permissions and a
reason-required move. It exists only to test the engine (installed by config.settings_test)."""

import datetime as dt

from django.db import models
from django_fsm import FSMField, transition

from accounts.models import Role
from accounts.selectors import has_role
from workflows.models import WorkflowRecord


class Status(models.TextChoices):
    NEW = "new", "new"
    OPEN = "open", "open"
    IN_PROGRESS = "in_progress", "in progress"
    RESOLVED = "resolved", "resolved"
    CLOSED = "closed", "closed"
    EXPIRED = "expired", "expired"


class Priority(models.TextChoices):
    NORMAL = "normal", "normal"
    ESCALATED = "escalated", "escalated"


def is_member(ticket, user) -> bool:
    return has_role(user, ticket.organisation_id, Role.RESIDENT, Role.MODERATOR, Role.CLERK, Role.ADMIN)


def is_staff(ticket, user) -> bool:
    return has_role(user, ticket.organisation_id, Role.MODERATOR, Role.CLERK, Role.ADMIN)


def is_moderator(ticket, user) -> bool:
    return has_role(user, ticket.organisation_id, Role.MODERATOR)


def is_clerk_or_admin(ticket, user) -> bool:
    return has_role(user, ticket.organisation_id, Role.CLERK, Role.ADMIN)


def is_admin(ticket, user) -> bool:
    return has_role(user, ticket.organisation_id, Role.ADMIN)


def nobody(ticket, user) -> bool:
    return False


def not_blocked(ticket) -> bool:
    return not ticket.blocked


not_blocked.message = "the ticket is blocked"


def is_active(ticket) -> bool:
    return ticket.status in (Status.OPEN, Status.IN_PROGRESS)


is_active.message = "only active tickets can be escalated"


class Ticket(WorkflowRecord):
    title = models.CharField(max_length=200)
    blocked = models.BooleanField(default=False)
    secret = models.BooleanField(default=False)
    status = FSMField(default=Status.NEW, choices=Status.choices, protected=True)
    priority = FSMField(default=Priority.NORMAL, choices=Priority.choices, protected=True)

    def __str__(self) -> str:
        return self.title

    @transition(field=status, source=Status.NEW, target=Status.OPEN, permission=is_member, custom={"label": "Submit"})
    def submit(self, *, actor=None, reason="", payload=None):
        pass

    @transition(
        field=status, source=Status.OPEN, target=Status.IN_PROGRESS, permission=is_staff, conditions=[not_blocked],
        custom={"label": "Assign"},
    )  # fmt: skip
    def assign(self, *, actor=None, reason="", payload=None):
        pass

    @transition(field=status, source=Status.IN_PROGRESS, target=Status.RESOLVED, permission=is_clerk_or_admin)
    def resolve(self, *, actor=None, reason="", payload=None):
        pass

    @transition(field=status, source=Status.RESOLVED, target=Status.OPEN, permission=is_staff, custom={"reason_required": True})
    def reopen(self, *, actor=None, reason="", payload=None):
        pass

    @transition(
        field=status, source=[Status.OPEN, Status.IN_PROGRESS, Status.RESOLVED], target=Status.CLOSED, permission=is_admin,
        custom={"label": "Close", "reason_required": True},
    )  # fmt: skip
    def close(self, *, actor=None, reason="", payload=None):
        pass

    @transition(field=status, source=Status.OPEN, target=Status.EXPIRED, permission=nobody)
    def expire(self, *, actor=None, reason="", payload=None):
        """Only the system makes this move (a deadline)."""

    @transition(field=status, source=Status.OPEN, target=Status.OPEN, permission=nobody)
    def remind(self, *, actor=None, reason="", payload=None):
        """A recurring system move: each reminder schedules the next (see ticket_events)."""

    @transition(
        field=priority, source=Priority.NORMAL, target=Priority.ESCALATED, permission=is_moderator, conditions=[is_active]
    )
    def escalate(self, *, actor=None, reason="", payload=None):
        pass

    @transition(field=priority, source=Priority.ESCALATED, target=Priority.NORMAL, permission=is_admin)
    def deescalate(self, *, actor=None, reason="", payload=None):
        pass


def ticket_events(ticket, move) -> list[dict]:
    from workflows.services import deadline_cancel, deadline_schedule

    if move.name == "remind":
        deadline_schedule(ticket, transition="remind", due_at=ticket.updated_at + dt.timedelta(days=1))
    if move.name == "close":
        deadline_cancel(ticket)
    if move.name != "close":
        return []
    return [
        {
            "event": "moderation.outcome",
            "data": {"title": ticket.title, "url": f"/tickets/{ticket.pk}/", "reason_code": "closed", "reason": move.reason},
            "audience": {"followers": True},
            "organisation_id": ticket.organisation_id,
            "record_type": "testapp.ticket",
            "record_id": ticket.pk,
        }
    ]
