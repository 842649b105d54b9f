"""The lists of petitions waiting for the municipality's response or for the council follow the
workflow: a petition joins when the move that starts the wait runs (its timestamp is the audit
entry's time), leaves when it is answered or decided, and shows the days it has waited, in the API
(`days_waited`) and on the page ("รอมาแล้ว N วัน")."""

import datetime as dt

import pytest
from django.conf import settings
from django.utils import timezone

from petitions.models import Petition
from workflows.models import AuditEntry
from workflows.services import transition

from .conftest import sign_and_confirm

pytestmark = pytest.mark.django_db


def waiting(api, kind: str) -> list[dict]:
    response = api().get("/api/v1/petitions/", {"waiting": kind})
    assert response.status_code == 200, response.content
    return response.json()["results"]


def moved_at(petition, name: str) -> dt.datetime:
    entry = AuditEntry.objects.filter(record_type="petitions.petition", record_id=str(petition.pk), name=name).get()
    return entry.created_at


def since(row) -> dt.datetime:
    return dt.datetime.fromisoformat(row["waiting_since"])


def test_the_response_list_follows_the_workflow(api, open_petition, moderator):
    for n in range(2):
        sign_and_confirm(open_petition, n, village=3)
    assert waiting(api, "response") == []  # below the response threshold (3)
    sign_and_confirm(open_petition, 2, village=3)
    [row] = waiting(api, "response")
    assert row["id"] == open_petition.pk and row["days_waited"] == 0
    assert abs(since(row) - moved_at(open_petition, "require_response")) < dt.timedelta(seconds=5)
    petition = Petition.objects.get(pk=open_petition.pk)
    transition(petition, "respond", actor=moderator, payload={"text": "เทศบาลจะติดตั้งไฟ 20 ต้นในปีงบประมาณ 2570"})
    assert waiting(api, "response") == []  # answered: no longer waiting


def test_the_council_list_follows_the_workflow(api, open_petition, clerk):
    for n in range(5):
        sign_and_confirm(open_petition, n)
    [row] = waiting(api, "council")
    reached = moved_at(open_petition, "reach_council_threshold")
    assert row["id"] == open_petition.pk and abs(since(row) - reached) < dt.timedelta(seconds=5)
    petition = transition(Petition.objects.get(pk=open_petition.pk), "submit", actor=None)
    petition = transition(petition, "consider", actor=clerk)
    [row] = waiting(api, "council")
    assert row["state"] == "under_consideration"
    assert abs(since(row) - reached) < dt.timedelta(seconds=5)  # it has waited since the threshold, not since the submission
    transition(
        petition, "decide", actor=clerk,
        payload={"decision": "adopted", "summary": "สภามีมติเห็นชอบ", "decided_on": "2026-12-15", "meeting": "สมัยสามัญที่ 4"},
    )  # fmt: skip
    assert waiting(api, "council") == []  # decided


def test_the_page_says_how_many_days_in_thai_and_english(client, open_petition):
    for n in range(3):
        sign_and_confirm(open_petition, n)
    Petition.objects.filter(pk=open_petition.pk).update(
        response_threshold_reached_at=timezone.now() - dt.timedelta(days=20, hours=3)
    )
    page = client.get("/petitions/", {"waiting": "response"})
    html = page.content.decode()
    assert page.status_code == 200 and "รอมาแล้ว 20 วัน" in html
    assert 'aria-current="page" data-testid="tab-waiting-response"' in html
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert "Waiting 20 days" in client.get("/petitions/", {"waiting": "response"}).content.decode()
    assert (
        "Waiting"
        not in client.get("/petitions/", {"waiting": "council"}).content.decode().split('data-testid="petition-list"')[1]
    )
