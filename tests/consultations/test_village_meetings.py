"""Village meetings (ประชาคม): paper ballots or a show of hands entered by staff with the minutes
and attendance, shown apart from the online ballots and added to the published result."""

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from consultations import meetings, selectors, services
from consultations.models import State, VillageMeeting
from tests.conftest import error_of
from workflows.errors import PermissionDenied, TransitionNotAllowed, ValidationFailed
from workflows.models import AuditEntry

from .conftest import add_alternative, force_state


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def voting(make_consultation):
    c = make_consultation("consult", State.DELIBERATION)
    return c, add_alternative(c, title="ถนนคอนกรีต"), add_alternative(c, title="ถนนลาดยาง")


def minutes():
    return ContentFile(b"%PDF-1.4 minutes", name="minutes.pdf")


def record(c, actor, counts, **extra):
    fields = {"held_on": timezone.localdate().isoformat(), "place": "ศาลาประชาคมหมู่ที่ 3", "attendance": 40,
              "minutes": minutes(), "method": "hands", "village_number": 3} | extra  # fmt: skip
    return meetings.village_meeting_record(consultation=c, actor=actor, counts=counts, **fields)


def test_a_meeting_is_added_to_the_result_and_shown_apart(voting, moderator, resident):
    c, a, b = voting
    services.ballot_cast(consultation=c, actor=resident, alternative_ids=[b.pk])
    meeting = record(c, moderator, {a.pk: 30, b.pk: 8})
    assert meeting.minutes.storage.exists(meeting.minutes.name)
    c = force_state(c, State.DECIDING)
    result = selectors.results(c)
    rows = {r["id"]: r for r in result["alternatives"]}
    assert (rows[a.pk]["votes"], rows[a.pk]["online_votes"], rows[a.pk]["meeting_votes"]) == (30, 0, 30)
    assert (rows[b.pk]["votes"], rows[b.pk]["online_votes"], rows[b.pk]["meeting_votes"]) == (9, 1, 8)
    assert rows[a.pk]["winner"] and not rows[b.pk]["winner"]
    assert result["ballots"] == 1 and result["meeting_attendance"] == 40
    [shown] = result["meetings"]
    assert shown["place"] == "ศาลาประชาคมหมู่ที่ 3" and shown["village"] == 3
    assert {n["alternative_id"]: n["votes"] for n in shown["counts"]} == {a.pk: 30, b.pk: 8}


def test_the_meeting_is_bound_into_the_published_record(voting, moderator):
    c, a, b = voting
    record(c, moderator, {a.pk: 12, b.pk: 3})
    published = services.consultation_published(c)
    [meeting] = published["village_meetings"]
    assert meeting["counts"] == {str(a.pk): 12, str(b.pk): 3} and meeting["attendance"] == 40
    entry = AuditEntry.objects.get(name="village_meeting_recorded")
    assert entry.payload["published"]["village_meetings"][0]["counts"] == {str(a.pk): 12, str(b.pk): 3}


def test_a_meeting_shows_on_the_page_and_in_the_results_api(voting, moderator, api, client):
    c, a, b = voting
    record(c, moderator, {a.pk: 5})
    c = force_state(c, State.DECIDING)
    body = api().get(f"/api/v1/consultations/{c.pk}/results/").json()
    assert body["meetings"][0]["attendance"] == 40 and body["alternatives"][0]["meeting_votes"] == 5
    page = client.get(f"/consultations/{c.pk}/").content.decode()
    assert "ศาลาประชาคมหมู่ที่ 3" in page


def test_only_staff_record_a_meeting_while_voting_or_deciding(voting, resident, moderator, make_consultation):
    c, a, _b = voting
    with pytest.raises(PermissionDenied):
        record(c, resident, {a.pk: 1})
    draft = make_consultation("consult", State.DRAFT)
    alt = add_alternative(draft)
    with pytest.raises(TransitionNotAllowed):
        record(draft, moderator, {alt.pk: 1})
    assert VillageMeeting.objects.count() == 0


def test_bad_counts_are_refused_and_nothing_is_written(voting, moderator, api):
    c, a, b = voting
    with pytest.raises(ValidationFailed):
        record(c, moderator, {a.pk: 30, b.pk: 20})  # single choice: 50 votes from 40 people
    with pytest.raises(ValidationFailed):
        record(c, moderator, {999999: 1})
    with pytest.raises(ValidationFailed):
        record(c, moderator, {a.pk: 1}, minutes=None)
    assert VillageMeeting.objects.count() == 0
    response = api(moderator).post(f"/api/v1/consultations/{c.pk}/village-meetings/", {"place": "x"}, format="multipart")
    assert response.status_code == 400 and error_of(response)["code"] == "invalid"


def test_the_api_records_a_meeting(voting, moderator, api):
    from django.core.files.uploadedfile import SimpleUploadedFile

    c, a, b = voting
    upload = SimpleUploadedFile("minutes.pdf", b"%PDF minutes", content_type="application/pdf")
    data = {"held_on": timezone.localdate().isoformat(), "place": "วัดบ้านซ่อง", "attendance": 25, "method": "paper",
            "minutes": upload, f"count_{a.pk}": 20, f"count_{b.pk}": 5}  # fmt: skip
    response = api(moderator).post(f"/api/v1/consultations/{c.pk}/village-meetings/", data, format="multipart")
    assert response.status_code == 201, response.content
    assert selectors.tally(c)["counts"] == {a.pk: 20, b.pk: 5}
