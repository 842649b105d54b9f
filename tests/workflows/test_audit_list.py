"""The public audit trail: /api/v1/audit/ (cursor-paginated, filtered) and the /audit/ page."""

from django.urls import reverse

from accounts.thai import format_datetime
from tests.workflows.conftest import moved
from workflows.services import transition


def test_it_lists_entries_newest_first_with_who_but_never_an_email(api, make_ticket, resident, moderator):
    ticket = transition(make_ticket(), "submit", actor=resident)
    transition(ticket, "assign", actor=moderator, reason="ทีมช่างรับเรื่อง")
    response = api().get(reverse("api:audit-list"))
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["name"] for r in results] == ["assign", "submit"]
    assert results[0]["actor"] == {"role": "moderator", "role_label": results[0]["actor"]["role_label"], "name": "มานี มีสุข"}
    assert results[1]["actor"]["name"] == ""  # residents are not named
    assert results[0]["reason"] == "ทีมช่างรับเรื่อง" and results[0]["from_state"] == "open"
    assert "@" not in response.content.decode()


def test_it_filters_by_record_type_record_id_and_organisation(api, make_ticket, other_org):
    a = moved(make_ticket(), "submit", "assign")
    moved(make_ticket(), "submit")
    moved(make_ticket(organisation=other_org), "submit")
    get = lambda **q: api().get(reverse("api:audit-list"), q).json()["results"]  # noqa: E731
    assert len(get(record_type="testapp.ticket", record_id=a.pk)) == 2
    assert len(get(organisation=a.organisation_id)) == 3
    assert len(get(organisation="other")) == 1  # by slug
    assert get(record_type="petitions.petition") == []


def test_it_pages_with_a_cursor(api, make_ticket):
    for _ in range(3):
        moved(make_ticket(), "submit", "assign")
    first = api().get(reverse("api:audit-list"), {"page_size": 4}).json()
    assert len(first["results"]) == 4 and first["next"]
    second = api().get(first["next"]).json()
    assert len(second["results"]) == 2 and second["next"] is None
    ids = [r["id"] for r in first["results"] + second["results"]]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 6


def test_the_page_shows_each_move_with_role_name_date_and_reason(client, make_ticket, resident, moderator):
    ticket = transition(make_ticket(), "submit", actor=resident)
    ticket = transition(ticket, "assign", actor=moderator, reason="ทีมช่างรับเรื่อง")
    response = client.get(reverse("workflows:audit"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "ทีมช่างรับเรื่อง" in html and "มานี มีสุข" in html
    assert "สมชาย" not in html and "@example.com" not in html  # residents are never named
    assert '<span data-state="open">open</span> → <span data-state="in_progress">in progress</span>' in html  # labels
    entry = ticket.last_audit_entry
    assert format_datetime(entry.created_at) in html  # Buddhist Era, Bangkok time
    assert str(entry.created_at.year + 543) in html
    assert 'aria-label="' in html


def test_the_page_filters_and_paginates(client, make_ticket):
    first = moved(make_ticket(), "submit")
    for _ in range(30):
        moved(make_ticket(), "submit", "assign")
    html = client.get(reverse("workflows:audit"), {"record_type": "testapp.ticket", "record_id": first.pk}).content.decode()
    assert html.count('data-entry="') == 1
    page1 = client.get(reverse("workflows:audit")).content.decode()
    assert page1.count('data-entry="') == 50 and 'rel="next"' in page1
    page2 = client.get(reverse("workflows:audit"), {"page": 2}).content.decode()
    assert page2.count('data-entry="') == 11 and 'rel="prev"' in page2
    assert client.get(reverse("workflows:audit"), {"page": "zzz"}).status_code == 200


def test_the_page_names_records_by_title_and_acts_in_thai_and_the_record_link_filters(client, make_ticket, org, make_user):
    from workflows.services import membership_grant

    ticket = moved(make_ticket(title="ไฟถนนหมู่ 4 ดับ"), "submit")
    moved(make_ticket(title="เรื่องอื่น"), "submit")
    membership_grant(admin=None, user=make_user(), organisation=org, role="moderator")
    html = client.get(reverse("workflows:audit")).content.decode()
    assert "ไฟถนนหมู่ 4 ดับ" in html  # a title, not "#7"
    assert "มอบบทบาท" in html  # membership_grant, in Thai
    only = client.get(reverse("workflows:audit"), {"record": f"testapp.ticket:{ticket.pk}"}).content.decode()
    assert only.count('data-entry="') == 1 and "ไฟถนนหมู่ 4 ดับ" in only


def test_the_check_page_says_in_words_what_was_checked_and_how_to_check_it_yourself(client, make_ticket):
    from django.core.cache import cache

    cache.delete("audit:check")
    moved(make_ticket(), "submit", "assign")
    html = client.get(reverse("workflows:audit-check")).content.decode()
    assert 'data-check="ok"' in html and "ตรวจสอบแล้ว 2 รายการ" in html  # the number of entries checked, in Thai
    assert "verify_record.py" in html and "--checkpoint" in html
    script = client.get(reverse("workflows:verifier"))
    assert script.status_code == 200 and b"def ed25519_verify" in script.content


def test_the_record_pages_link_to_their_own_audit_trail(client, org, moderator):
    import re

    from consultations.models import Consultation

    c = Consultation.objects.create(organisation=org, title="ถนน", summary="สรุป", level="inform", created_by=moderator)
    Consultation.objects.filter(pk=c.pk).update(state="informing")
    html = client.get(c.get_absolute_url()).content.decode()
    link = re.search(r'href="([^"]*)" data-testid="audit-link"', html).group(1).replace("&amp;", "&")
    assert client.get(link).status_code == 200
