"""A removed (hidden or rejected) problem's discussion goes with it (issue 15): the API withholds
its comments as the page does, through one selector (selectors.comments_visible)."""

from consultations import selectors, services
from consultations.models import Comment, ReasonCode, State

from .conftest import add_alternative, add_problem


def _discussed(make_consultation, residents, moderator):
    c = make_consultation("collaborate", State.PROBLEM_IDENTIFICATION)
    problem, kept = add_problem(c, residents[0], "โฆษณาขายของ"), add_problem(c, residents[0], "ไฟทางดับ")
    alternative = add_alternative(c, None, "ขายที่ดิน")  # a moderator does not moderate her own text
    on_removed = services.comment_post(consultation=c, actor=residents[1], body="ความเห็นใต้โฆษณา", problem_id=problem.pk)
    reply = services.comment_post(consultation=c, actor=residents[2], body="ตอบใต้โฆษณา", parent_id=on_removed.pk)
    on_alt = services.comment_post(consultation=c, actor=residents[1], body="ความเห็นใต้ทางเลือก", alternative_id=alternative.pk)
    on_kept = services.comment_post(consultation=c, actor=residents[1], body="ความเห็นใต้ไฟทาง", problem_id=kept.pk)
    general = services.comment_post(consultation=c, actor=residents[2], body="ความเห็นทั่วไป")
    for kind, item in (("problem", problem), ("alternative", alternative)):
        services.moderation_decide(
            consultation=c, actor=moderator, kind=kind, object_id=item.pk, outcome="remove", reason_code=ReasonCode.SPAM
        )
    return c, problem, {"on_removed": on_removed, "reply": reply, "on_alt": on_alt, "on_kept": on_kept, "general": general}


def test_the_api_withholds_the_comments_of_a_removed_problem_or_alternative(make_consultation, residents, moderator, api):
    c, problem, cm = _discussed(make_consultation, residents, moderator)
    url = f"/api/v1/consultations/{c.pk}/comments/"
    shown = {row["id"] for row in api().get(url).json()["results"]}
    assert shown == {cm["on_kept"].pk, cm["general"].pk}
    # The commenters themselves do not see them either; the problem's author still reads her own problem's thread.
    assert {row["id"] for row in api(residents[1]).get(url).json()["results"]} == shown
    mine = {row["id"] for row in api(residents[0]).get(url).json()["results"]}
    assert mine == shown | {cm["on_removed"].pk, cm["reply"].pk}
    # Moderators see everything, to act on it; the comments themselves were never changed.
    assert {row["id"] for row in api(moderator).get(url).json()["results"]} == {x.pk for x in cm.values()}
    assert set(Comment.objects.values_list("visibility", flat=True)) == {"published"}


def test_the_page_and_the_api_read_the_same_comments(make_consultation, residents, moderator, api, client):
    c, problem, cm = _discussed(make_consultation, residents, moderator)
    page = client.get(f"/consultations/{c.pk}/").content.decode()
    for name, comment in cm.items():
        assert (f'id="comment-{comment.pk}"' in page) == (name in ("on_kept", "general")), name
    api_ids = {row["id"] for row in api().get(f"/api/v1/consultations/{c.pk}/comments/").json()["results"]}
    assert api_ids == {x.pk for x in selectors.comments_for(c, None)}


def test_a_restored_problem_brings_its_discussion_back(make_consultation, residents, moderator, api):
    c, problem, cm = _discussed(make_consultation, residents, moderator)
    services.moderation_decide(consultation=c, actor=moderator, kind="problem", object_id=problem.pk, outcome="publish")
    shown = {row["id"] for row in api().get(f"/api/v1/consultations/{c.pk}/comments/").json()["results"]}
    assert {cm["on_removed"].pk, cm["reply"].pk} <= shown and cm["on_alt"].pk not in shown
    record = api().get(f"/api/v1/consultations/{c.pk}/record/").json()
    assert record["said"]["comments"] == 4
