"""Merging duplicate problems through the API and the page (issue 15): the answer is 2xx with the
kept problem (the API once answered 500 after the merge was saved: its read-back could not see the
kept problem), and every supporter of either problem supports the kept one exactly once."""

from consultations import services
from consultations.models import Problem, State, Support, Visibility
from workflows.models import AuditEntry

from .conftest import add_problem


def _pair(make_consultation, residents):
    c = make_consultation("involve", State.PROBLEM_IDENTIFICATION)
    kept, duplicate = add_problem(c, residents[0], "ถนนหมู่ 2 เป็นหลุม"), add_problem(c, residents[1], "ถนนหมู่ 2 ชำรุด")
    Support.objects.create(problem=kept, user=residents[2])  # residents[2] supports both
    Support.objects.create(problem=duplicate, user=residents[2])
    Support.objects.create(problem=duplicate, user=residents[0])  # the kept one's author supports the duplicate
    return c, kept, duplicate


def test_it_answers_200_with_the_kept_problem_and_each_supporter_once(make_consultation, residents, moderator, api):
    c, kept, duplicate = _pair(make_consultation, residents)
    response = api(moderator).post(
        f"/api/v1/consultations/{c.pk}/problems/{duplicate.pk}/merge/", {"into": kept.pk, "reason": "ซ้ำ"}, format="json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    # residents[2] (both), residents[0] (the duplicate), residents[1] (the duplicate's author): three people, once each.
    assert (body["id"], body["supporters"], body["visibility"]) == (kept.pk, 3, "published")
    users = list(Support.objects.filter(problem=kept).values_list("user_id", flat=True))
    assert sorted(users) == sorted(r.pk for r in residents)
    assert not Support.objects.filter(problem=duplicate).exists()
    listed = {p["id"]: p for p in api().get(f"/api/v1/consultations/{c.pk}/problems/").json()["results"]}
    assert (listed[duplicate.pk]["visibility"], listed[duplicate.pk]["merged_into"]) == ("merged", kept.pk)
    assert listed[kept.pk]["supporters"] == 3
    entry = AuditEntry.objects.get(name="problem_merge", record_id=str(duplicate.pk))
    assert entry.payload["into"] == kept.pk and entry.reason == "ซ้ำ"


def test_a_second_merge_points_earlier_duplicates_at_the_kept_problem(make_consultation, residents, moderator, api):
    c, kept, duplicate = _pair(make_consultation, residents)
    third = add_problem(c, residents[2], "ถนนพัง")
    services.problem_merge(problem=third, into=duplicate, actor=moderator)
    response = api(moderator).post(f"/api/v1/consultations/{c.pk}/problems/{duplicate.pk}/merge/", {"into": kept.pk})
    assert response.status_code == 200, response.content
    assert Problem.objects.get(pk=third.pk).merged_into_id == kept.pk
    assert response.json()["supporters"] == 3


def test_merging_twice_is_a_409_and_changes_nothing(make_consultation, residents, moderator, api):
    c, kept, duplicate = _pair(make_consultation, residents)
    url = f"/api/v1/consultations/{c.pk}/problems/{duplicate.pk}/merge/"
    assert api(moderator).post(url, {"into": kept.pk}, format="json").status_code == 200
    again = api(moderator).post(url, {"into": kept.pk}, format="json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"
    assert Support.objects.filter(problem=kept).count() == 3


def test_the_page_form_merges_and_shows_it(make_consultation, residents, moderator, client):
    c, kept, duplicate = _pair(make_consultation, residents)
    client.force_login(moderator)
    response = client.post(f"/consultations/{c.pk}/problems/{duplicate.pk}/merge/", {"into": kept.pk, "reason": "ซ้ำ"})
    assert response.status_code == 302
    assert Problem.objects.get(pk=duplicate.pk).visibility == Visibility.MERGED
    page = client.get(f"/consultations/{c.pk}/").content.decode()
    assert f'href="#problem-{kept.pk}"' in page
    assert Support.objects.filter(problem=kept).count() == 3
