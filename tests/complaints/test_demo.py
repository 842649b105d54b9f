"""seed_demo brings complaints, an integrity report and an open satisfaction survey (idempotent)."""

import io

import pytest
from django.core.management import call_command

from complaints.models import Complaint, IntegrityReport
from surveys.models import Response, Survey

pytestmark = pytest.mark.django_db


def test_the_demo_has_complaints_an_integrity_report_and_a_survey(client):
    for _ in range(2):
        call_command("seed_demo", stdout=io.StringIO())
    assert sorted(Complaint.objects.values_list("state", flat=True)) == ["assigned", "received", "resolved"]
    assert IntegrityReport.objects.count() == 1
    survey = Survey.objects.get()
    assert (survey.state, Response.objects.filter(survey=survey).count()) == ("open", 4)
    assert client.get("/complaints/statistics/").status_code == 200
    client.login(email="integrity@example.com", password="ruamkid-demo")
    assert "เรียกรับเงินค่าอำนวยความสะดวก" in client.get("/integrity/reports/").content.decode()
