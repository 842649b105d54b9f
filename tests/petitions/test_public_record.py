"""A petition's published answers are bound into the audit chain: the municipality's response edited in
the database afterwards is caught by verify_audit and by the outside verifier's content check."""

import pytest

from petitions.models import Response
from tests.conftest import requires_postgres
from tests.workflows.test_audit_tamper import run_verify
from workflows.models import AuditEntry
from workflows.services import transition


@requires_postgres
@pytest.mark.django_db
def test_a_response_edited_in_the_database_is_caught(open_petition, moderator, capsys, api):
    transition(open_petition, "respond", actor=moderator, payload={"text": "จะติดตั้งไฟภายในเดือนหน้า"})
    bound = AuditEntry.objects.get(record_id=str(open_petition.pk), name="respond:published")
    assert bound.payload["published"]["response"]["text"] == "จะติดตั้งไฟภายในเดือนหน้า"
    published = api().get(f"/api/v1/audit/published/petitions.petition/{open_petition.pk}/").json()["published"]
    assert published == bound.payload["published"]
    assert run_verify(capsys)[0] == 0
    Response.objects.filter(petition=open_petition).update(text="ไม่มีแผนจะติดตั้ง")
    code, output = run_verify(capsys)
    assert code == 1 and "content_mismatch" in output
