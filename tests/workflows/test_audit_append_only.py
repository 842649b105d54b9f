"""Audit entries can be added, never changed or removed: by the model, the queryset and (PostgreSQL) a trigger."""

import pytest
from django.db import DatabaseError, connection, transaction

from tests.conftest import requires_postgres
from tests.workflows.conftest import moved
from workflows.models import AuditEntry, AuditImmutable


def test_it_refuses_update_and_delete_through_the_model(make_ticket):
    moved(make_ticket(), "submit")
    entry = AuditEntry.objects.get()
    entry.reason = "rewritten"
    with pytest.raises(AuditImmutable):
        entry.save()
    with pytest.raises(AuditImmutable):
        entry.delete()
    assert AuditEntry.objects.get().reason == "setup"


def test_it_refuses_update_and_delete_through_the_queryset(make_ticket):
    moved(make_ticket(), "submit", "assign")
    with pytest.raises(AuditImmutable):
        AuditEntry.objects.filter(name="submit").update(reason="rewritten")
    with pytest.raises(AuditImmutable):
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.count() == 2


@requires_postgres
def test_it_refuses_update_and_delete_in_the_database_itself(make_ticket):
    moved(make_ticket(), "submit")
    entry = AuditEntry.objects.get()
    for sql in (
        "UPDATE workflows_auditentry SET reason = 'rewritten' WHERE id = %s",
        "DELETE FROM workflows_auditentry WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [entry.pk])
    assert AuditEntry.objects.get().reason == "setup"
