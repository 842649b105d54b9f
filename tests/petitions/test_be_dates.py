"""The staff date inputs of petitions are in the Buddhist Era (issue 14, accounts/fields.py)."""

import datetime as dt
import re

from petitions.models import Petition

from .conftest import sign


def test_the_council_outcome_form_takes_and_shows_buddhist_era_dates(client, open_petition, clerk):
    petition = open_petition
    Petition.objects.filter(pk=petition.pk).update(state="under_consideration")
    client.force_login(clerk)
    page = client.get(f"/petitions/{petition.pk}/").content.decode()
    field = re.search(r'<input[^>]*name="decided_on"[^>]*>', page).group(0)
    assert 'type="text"' in field and re.search(r'value="\d{1,2}/\d{1,2}/25\d\d"', field)
    outcome = {"decision": "adopted", "summary": "สภาเห็นชอบ", "meeting": "สมัยที่ 4"}
    client.post(f"/petitions/{petition.pk}/act/decide/", outcome | {"decided_on": "7/12/2026"})
    assert Petition.objects.get(pk=petition.pk).state == "under_consideration"  # a Gregorian year: refused
    client.post(f"/petitions/{petition.pk}/act/decide/", outcome | {"decided_on": "7/12/2569"})
    petition = Petition.objects.get(pk=petition.pk)
    assert petition.state == "decided" and petition.council_outcome.decided_on == dt.date(2026, 12, 7)


def test_the_invalidation_window_is_written_in_the_buddhist_era(client, open_petition, moderator):
    from petitions.models import Signature

    sign(open_petition, 1, email="a@spam.example")
    client.force_login(moderator)
    today = dt.date.today()
    tomorrow = today + dt.timedelta(days=1)
    window = {"created_from": f"{today.day}/{today.month}/{today.year + 543}",
              "created_to": f"{tomorrow.day}/{tomorrow.month}/{tomorrow.year + 543}", "reason": "ช่วงเวลาผิดปกติ"}  # fmt: skip
    wrong = client.post(f"/petitions/{open_petition.pk}/signatures/", window | {"created_to": "8/12/2026", "confirm": "1"})
    assert "2569" in wrong.content.decode() and Signature.objects.get(email="a@spam.example").state == "pending"
    client.post(f"/petitions/{open_petition.pk}/signatures/", window | {"confirm": "1"})
    assert Signature.objects.get(email="a@spam.example").state == "invalidated"
