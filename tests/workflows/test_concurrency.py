"""On PostgreSQL, 20 simultaneous requests for conflicting moves on one record: one wins."""

import threading

import pytest
from django.db import connections
from rest_framework.test import APIClient

from tests.conftest import error_of, requires_postgres
from tests.testapp.models import Ticket
from workflows.models import AuditEntry
from workflows.selectors import audit_verify
from workflows.services import transition

N = 20


def hammer(requests: list[tuple]) -> list:
    """Fire (user, url, body) requests from N threads released together; each thread has its own DB connection."""
    barrier = threading.Barrier(len(requests))
    responses: list = [None] * len(requests)

    def worker(i, user, url, body):
        client = APIClient()
        client.force_authenticate(user)
        try:
            barrier.wait(timeout=30)
            responses[i] = client.post(url, body, format="json")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, *req)) for i, req in enumerate(requests)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return responses


@requires_postgres
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_it_lets_exactly_one_of_twenty_conflicting_moves_win(org, moderator, admin_user):
    ticket = Ticket.objects.create(organisation=org, title="ประปาแตก")
    ticket = transition(ticket, "submit", actor=moderator)
    before = AuditEntry.objects.count()
    url = f"/api/v1/tickets/{ticket.pk}/transitions/"
    # Half want to assign it, half to close it; all read version 1.
    requests = [
        (moderator, url + "assign/", {"expected_version": 1})
        if i % 2
        else (admin_user, url + "close/", {"reason": "ซ้ำ", "expected_version": 1})
        for i in range(N)
    ]
    responses = hammer(requests)

    codes = sorted(r.status_code for r in responses)
    assert codes == [200] + [409] * (N - 1), codes
    for r in responses:
        if r.status_code == 409:
            assert error_of(r)["code"] == "conflict"
    assert AuditEntry.objects.count() == before + 1
    ticket.refresh_from_db()
    assert ticket.version == 2 and ticket.status in {"in_progress", "closed"}
    assert audit_verify().ok


@requires_postgres
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_it_keeps_one_chain_when_twenty_different_records_move_at_once(org, moderator):
    tickets = [Ticket.objects.create(organisation=org, title=f"เรื่อง {i}") for i in range(N)]
    responses = hammer([(moderator, f"/api/v1/tickets/{t.pk}/transitions/submit/", {}) for t in tickets])
    assert [r.status_code for r in responses] == [200] * N
    report = audit_verify()
    assert report.ok and report.entries == N


@requires_postgres
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_two_deadline_workers_at_once_apply_each_deadline_exactly_once(org, moderator):
    import datetime as dt

    from django.utils import timezone

    from workflows.models import Deadline
    from workflows.services import deadline_schedule, deadlines_advance

    tickets = [
        transition(Ticket.objects.create(organisation=org, title=f"เรื่อง {i}"), "submit", actor=moderator) for i in range(12)
    ]
    for t in tickets:
        deadline_schedule(t, transition="expire", due_at=timezone.now() - dt.timedelta(minutes=1))
    results: list = []
    barrier = threading.Barrier(2)

    def worker():
        try:
            barrier.wait(timeout=30)
            results.append(deadlines_advance())
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sum(r["applied"] for r in results) == 12 and sum(r["skipped"] for r in results) == 0
    assert AuditEntry.objects.filter(name="expire").count() == 12
    assert set(Deadline.objects.values_list("outcome", flat=True)) == {"applied"}
    assert audit_verify().ok
