"""Service levels: each category's deadline, and the alerts to staff before and after it passes,
sent once however often (or on however many workers) the task runs."""

import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone

from complaints.models import Category, Complaint
from complaints.services import complaint_sla_alerts
from complaints.tasks import sla_alerts
from notifications.models import OutboxEvent
from tests.conftest import requires_postgres
from workflows.services import transition


def _due_in(c, hours):
    Complaint.objects.filter(pk=c.pk).update(due_at=timezone.now() + dt.timedelta(hours=hours))


def test_the_deadline_comes_from_the_category(make_complaint, setup):
    waste = Category.objects.get(organisation=setup, code="waste")
    c = make_complaint(category=waste)
    assert (c.due_at - c.created_at) == dt.timedelta(days=3)


def test_staff_are_warned_once_before_the_deadline_and_once_after(make_complaint):
    early, near = make_complaint(), make_complaint()
    _due_in(early, 48)  # the road category warns 24 hours before
    _due_in(near, 5)
    assert complaint_sla_alerts() == {"warned": 1, "overdue": 0}
    assert complaint_sla_alerts() == {"warned": 0, "overdue": 0}
    warning = OutboxEvent.objects.get(event="complaint.sla_warning")
    assert (warning.record_id, warning.audience) == (str(near.pk), {"roles": ["moderator", "clerk", "admin"]})
    assert warning.data["url"] == f"/complaints/{near.pk}/"
    _due_in(near, -1)
    assert complaint_sla_alerts(now=timezone.now()) == {"warned": 0, "overdue": 1}
    assert sla_alerts() == {"warned": 0, "overdue": 0}  # the beat task's body, again
    assert OutboxEvent.objects.filter(event__startswith="complaint.sla").count() == 2


def test_a_complaint_that_jumps_past_its_deadline_gets_only_the_overdue_alert(make_complaint):
    c = make_complaint()
    _due_in(c, -2)
    assert complaint_sla_alerts() == {"warned": 0, "overdue": 1}
    assert list(OutboxEvent.objects.filter(event__startswith="complaint.sla").values_list("event", flat=True)) == [
        "complaint.sla_overdue"
    ]


def test_closed_complaints_are_never_alerted(make_complaint, moderator):
    c = transition(make_complaint(), "reject", actor=moderator, reason="ซ้ำ")
    _due_in(c, -2)
    assert complaint_sla_alerts() == {"warned": 0, "overdue": 0}


def test_the_warning_window_is_the_categorys(make_complaint, road):
    Category.objects.filter(pk=road.pk).update(warn_hours=72)
    c = make_complaint()
    _due_in(c, 60)
    assert complaint_sla_alerts()["warned"] == 1


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_alert_once(make_complaint):
    for _ in range(5):
        _due_in(make_complaint(), -1)
    results, barrier = [], threading.Barrier(2)

    def run():
        try:
            barrier.wait()
            results.append(complaint_sla_alerts()["overdue"])
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(results) == 5
    assert OutboxEvent.objects.filter(event="complaint.sla_overdue").count() == 5


def test_the_beat_schedule_runs_the_alerts(settings):
    assert settings.CELERY_BEAT_SCHEDULE["complaints-sla-alerts"]["task"] == "complaints.sla_alerts"
