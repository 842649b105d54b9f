"""The consultation pages read what is posted through forms: hostile values (NUL bytes, numbers
past the database's integer range, words where ids belong) get a message and change nothing,
never a 500. The same values that are fine still work."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from consultations.models import Alternative, Comment, Document, ProgressUpdate, Report, Stage, State
from workflows.models import AuditEntry

from .conftest import add_alternative, add_problem
from .test_bad_input import counts

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999"  # past PostgreSQL's integer and bigint

# (who, stage, url name, posted data)
CASES = [
    ("resident", State.PROBLEM_IDENTIFICATION, "problem", {"title": "ถนน\x00ชำรุด"}),
    ("resident", State.PROBLEM_IDENTIFICATION, "problem", {"title": "x" * 301}),
    ("admin", State.PROBLEM_IDENTIFICATION, "merge", {"into": HUGE}),
    ("admin", State.PROBLEM_IDENTIFICATION, "merge", {"into": "๑"}),
    ("admin", State.PROBLEM_IDENTIFICATION, "merge", {"into": "{problem}", "reason": "a\x00"}),
    ("resident", State.ALTERNATIVES, "alternative", {"title": "ทาง", "problem_ids": [HUGE]}),
    ("resident", State.ALTERNATIVES, "alternative", {"title": "ทาง", "problem_ids": ["abc"]}),
    ("resident", State.ALTERNATIVES, "alternative", {"title": "ทาง\x00"}),
    ("resident", State.DELIBERATION, "comment", {"body": "ok", "parent_id": HUGE}),
    ("resident", State.DELIBERATION, "comment", {"body": "ok", "alternative_id": "²"}),
    ("resident", State.DELIBERATION, "comment", {"body": "a\x00b"}),
    ("resident", State.DELIBERATION, "report", {"kind": "alternative", "object_id": HUGE, "reason_code": "spam"}),
    ("resident", State.DELIBERATION, "report", {"kind": "alter\x00native", "object_id": "1", "reason_code": "spam"}),
    ("resident", State.DELIBERATION, "report", {"kind": "alternative", "object_id": "{alternative}", "reason_code": "s\x00"}),
    ("resident", State.DELIBERATION, "ballot", {"alternative_ids": [HUGE]}),
    ("resident", State.DELIBERATION, "ballot", {"alternative_ids": ["abc", "{alternative}"]}),
    ("admin", State.IMPLEMENTING, "progress", {"body": "ok", "percent_complete": HUGE}),
    ("admin", State.IMPLEMENTING, "progress", {"body": "ok", "percent_complete": "1e3"}),
    ("admin", State.IMPLEMENTING, "progress", {"body": "a\x00"}),
    ("admin", State.DELIBERATION, "moderation", {"kind": "comment", "object_id": HUGE, "outcome": "remove"}),
    ("admin", State.DELIBERATION, "moderation", {"kind": "comment", "object_id": "1", "outcome": "re\x00move"}),
    ("admin", State.DECIDING, "decision", {"chosen_ids": [HUGE], "rationale": "r", "council_resolution": "c"}),
    ("admin", State.DECIDING, "decision", {"chosen_ids": ["{alternative}"], "rationale": "r\x00", "council_resolution": "c"}),
    ("admin", State.DECIDING, "decision", {"rationale": "r", "council_resolution": "c", f"alt_{HUGE}": "x"}),
    ("admin", State.DRAFT, "schedule", {"start": "9999-99-99T99:99", "end_informing": "x"}),
    ("admin", State.DRAFT, "schedule", {"start": "2026-01-01T10:00\x00"}),
    ("admin", State.DRAFT, "move", {"name": "pub\x00lish", "reason": "r"}),
    ("admin", State.DRAFT, "move", {"name": "cancel", "reason": "r\x00"}),
    ("admin", State.INFORMING, "document", {"title": "แผน\x00", "url": "https://example.org/a.pdf"}),
]


@pytest.fixture
def people(resident, admin_user):
    return {"resident": resident, "admin": admin_user}


def url_for(name: str, c, problem) -> str:
    args = [c.pk, problem.pk] if name == "merge" else [c.pk]
    return reverse(f"consultations:{name}", args=args)


@pytest.mark.parametrize(("who", "state", "name", "data"), CASES)
def test_hostile_values_posted_to_a_page_get_a_message_and_change_nothing(
    client, people, make_consultation, who, state, name, data
):
    c = make_consultation("collaborate", state)
    problem = add_problem(c, people["resident"])
    other = add_problem(c, people["resident"], title="ถนนอีกสาย")
    alternative = add_alternative(c)
    ids = {"{problem}": str(other.pk), "{alternative}": str(alternative.pk)}
    posted = {
        k: ([ids.get(v, v) for v in value] if isinstance(value, list) else ids.get(value, value)) for k, value in data.items()
    }
    client.force_login(people[who])
    before = counts()
    response = client.post(url_for(name, c, problem), posted)
    assert response.status_code in (302, 400), response.status_code
    assert counts() == before
    if response.status_code == 302:
        assert any(m.level_tag == "error" for m in get_messages(response.wsgi_request)), "no error message"


def test_the_forms_still_accept_what_the_pages_send(client, resident, admin_user, make_consultation):
    c = make_consultation("collaborate", State.DELIBERATION)
    alternative = add_alternative(c)
    other = add_alternative(c, title="ทางเลือกสอง")
    client.force_login(resident)
    client.post(reverse("consultations:comment", args=[c.pk]), {"body": "เห็นด้วย", "alternative_id": alternative.pk})
    comment = Comment.objects.get()
    assert comment.alternative_id == alternative.pk
    client.post(reverse("consultations:comment", args=[c.pk]), {"body": "ตอบ", "parent_id": comment.pk, "next": "/x"})
    assert Comment.objects.filter(parent=comment).exists()
    client.post(reverse("consultations:ballot", args=[c.pk]), {"alternative_ids": [other.pk]})
    assert AuditEntry.objects.count() >= 0 and c.ballots.count() == 1
    client.post(
        reverse("consultations:report", args=[c.pk]), {"kind": "alternative", "object_id": alternative.pk, "reason_code": "spam"}
    )
    assert Report.objects.count() == 1
    client.force_login(admin_user)
    client.post(reverse("consultations:document", args=[c.pk]), {"title": "แผนที่", "url": "https://example.org/map.pdf"})
    assert Document.objects.filter(title="แผนที่").exists()
    assert Alternative.objects.count() == 2 and Stage.objects.filter(consultation=c).exists()
    implementing = make_consultation("consult", State.IMPLEMENTING)
    client.post(reverse("consultations:progress", args=[implementing.pk]), {"body": "เริ่มงาน", "percent_complete": "40"})
    assert ProgressUpdate.objects.get().percent_complete == 40
