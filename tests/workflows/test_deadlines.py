"""Deadlines: due moves are applied once by the system; a second run changes nothing."""

import datetime as dt

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from tests.testapp.models import Ticket
from tests.workflows.conftest import moved
from workflows.models import AuditEntry, Deadline
from workflows.services import OUTCOME_APPLIED, OUTCOME_NOT_ALLOWED, deadline_cancel, deadline_schedule, deadlines_advance
from workflows.tasks import advance_workflows

PAST = dt.timedelta(minutes=-5)


def snapshot():
    return (
        list(Deadline.objects.order_by("id").values_list("id", "done_at", "outcome")),
        list(AuditEntry.objects.values_list("id", flat=True)),
        list(Ticket.objects.order_by("id").values_list("status", "version")),
    )


def test_it_applies_due_deadlines_as_the_system_and_records_the_outcome(make_ticket):
    due = moved(make_ticket(), "submit")
    later = moved(make_ticket(), "submit")
    deadline_schedule(due, transition="expire", due_at=timezone.now() + PAST)
    deadline_schedule(later, transition="expire", due_at=timezone.now() + dt.timedelta(days=1))

    assert deadlines_advance() == {"applied": 1, "skipped": 0}
    due.refresh_from_db()
    later.refresh_from_db()
    assert (due.status, later.status) == ("expired", "open")
    done = Deadline.objects.get(record_id=str(due.pk))
    assert done.done_at is not None and done.outcome == OUTCOME_APPLIED
    entry = AuditEntry.objects.latest("id")
    assert (entry.name, entry.actor_id, entry.actor_role) == ("expire", None, "system")
    assert Deadline.objects.get(record_id=str(later.pk)).done_at is None


def test_running_it_twice_changes_nothing_the_second_time(make_ticket):
    for _ in range(3):
        deadline_schedule(moved(make_ticket(), "submit"), transition="expire", due_at=timezone.now() + PAST)
    deadline_schedule(make_ticket(), transition="expire", due_at=timezone.now() + PAST)  # still "new": skipped
    assert deadlines_advance() == {"applied": 3, "skipped": 1}
    after_first = snapshot()
    assert deadlines_advance() == {"applied": 0, "skipped": 0}
    call_command("advance_workflows", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert snapshot() == after_first


def test_it_skips_a_move_that_is_no_longer_possible_and_never_retries_it(make_ticket, admin_user):
    ticket = moved(make_ticket(), "submit")
    deadline_schedule(ticket, transition="expire", due_at=timezone.now() + PAST)
    moved(ticket, "assign")  # moved on before the deadline ran
    assert deadlines_advance() == {"applied": 0, "skipped": 1}
    assert Deadline.objects.get().outcome == OUTCOME_NOT_ALLOWED
    ticket.refresh_from_db()
    assert ticket.status == "in_progress"


def test_it_skips_deadlines_of_records_that_are_gone_or_unknown(make_ticket):
    Deadline.objects.create(record_type="testapp.ticket", record_id="999999", transition="expire", due_at=timezone.now() + PAST)
    Deadline.objects.create(record_type="nowhere.thing", record_id="1", transition="go", due_at=timezone.now() + PAST)
    assert deadlines_advance() == {"applied": 0, "skipped": 2}
    assert sorted(Deadline.objects.values_list("outcome", flat=True)) == [
        "skipped: no workflow registered",
        "skipped: record not found",
    ]


def test_cancelled_and_rescheduled_deadlines_are_honoured(make_ticket):
    ticket = moved(make_ticket(), "submit")
    deadline_schedule(ticket, transition="expire", due_at=timezone.now() + PAST)
    deadline_schedule(ticket, transition="expire", due_at=timezone.now() + dt.timedelta(hours=1))  # moved later
    assert Deadline.objects.count() == 1
    assert deadlines_advance() == {"applied": 0, "skipped": 0}
    assert deadline_cancel(ticket) == 1
    assert deadlines_advance(now=timezone.now() + dt.timedelta(hours=2)) == {"applied": 0, "skipped": 0}
    assert Deadline.objects.get().outcome == "cancelled"


def test_the_beat_schedule_runs_the_task_every_minute(make_ticket):
    entry = settings.CELERY_BEAT_SCHEDULE["workflows-advance"]
    assert entry == {"task": "workflows.advance_workflows", "schedule": 60.0}
    assert advance_workflows.name == entry["task"]
    deadline_schedule(moved(make_ticket(), "submit"), transition="expire", due_at=timezone.now() + PAST)
    assert advance_workflows.run() == {"applied": 1, "skipped": 0}


@pytest.mark.parametrize("limit", [1, 2])
def test_the_command_can_stop_after_a_number_of_deadlines(make_ticket, limit, capsys):
    for _ in range(3):
        deadline_schedule(moved(make_ticket(), "submit"), transition="expire", due_at=timezone.now() + PAST)
    call_command("advance_workflows", limit=limit)
    assert capsys.readouterr().out.strip() == f"applied {limit}, skipped 0"
    assert Deadline.objects.filter(done_at__isnull=True).count() == 3 - limit


def test_a_move_whose_hook_schedules_the_same_move_again_keeps_both_rows(make_ticket):
    """Recurring deadlines (a next stage, a next reminder): the applied row stays applied and
    the hook's new row waits for its own time."""
    ticket = moved(make_ticket(), "submit")
    deadline_schedule(ticket, transition="remind", due_at=timezone.now() + PAST)
    assert deadlines_advance() == {"applied": 1, "skipped": 0}
    first, second = Deadline.objects.order_by("id")
    assert (first.outcome, first.done_at is not None) == (OUTCOME_APPLIED, True)
    assert (second.transition, second.done_at) == ("remind", None)
    assert second.due_at > timezone.now() + dt.timedelta(hours=23)
    assert deadlines_advance() == {"applied": 0, "skipped": 0}
    assert deadlines_advance(now=timezone.now() + dt.timedelta(days=2)) == {"applied": 1, "skipped": 0}
    assert Deadline.objects.filter(done_at__isnull=True).count() == 1


def test_a_hook_that_cancels_deadlines_does_not_undo_the_applied_one(make_ticket, admin_user):
    ticket = moved(make_ticket(), "submit")
    deadline_schedule(ticket, transition="close", due_at=timezone.now() + PAST)
    deadline_schedule(ticket, transition="expire", due_at=timezone.now() + dt.timedelta(days=3))
    # close needs a reason and an admin: the system can make it, the reason is the deadline's
    assert deadlines_advance() == {"applied": 1, "skipped": 0}
    outcomes = dict(Deadline.objects.values_list("transition", "outcome"))
    assert outcomes == {"close": OUTCOME_APPLIED, "expire": "cancelled"}
