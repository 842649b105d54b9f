"""Replies nest at most 3 deep (issue 15): a reply to a level-3 comment joins level 3 under the
same parent and keeps the comment it answered (reply_to)."""

import re

from consultations import selectors, services
from consultations.models import Comment, State


def _chain(make_consultation, residents):
    c = make_consultation("consult", State.DELIBERATION)
    one = services.comment_post(consultation=c, actor=residents[0], body="ระดับหนึ่ง")
    two = services.comment_post(consultation=c, actor=residents[1], body="ระดับสอง", parent_id=one.pk)
    three = services.comment_post(consultation=c, actor=residents[2], body="ระดับสาม", parent_id=two.pk)
    return c, one, two, three


def test_the_service_attaches_a_reply_to_level_three_at_level_three(make_consultation, residents):
    c, one, two, three = _chain(make_consultation, residents)
    got = [(x.depth, x.parent_id, x.reply_to_id) for x in (one, two, three)]
    assert got == [(1, None, None), (2, one.pk, None), (3, two.pk, None)]
    four = services.comment_post(consultation=c, actor=residents[0], body="ตอบระดับสาม", parent_id=three.pk)
    assert (four.depth, four.parent_id, four.reply_to_id) == (3, two.pk, three.pk)
    five = services.comment_post(consultation=c, actor=residents[1], body="ตอบอีก", parent_id=four.pk)
    assert (five.depth, five.parent_id, five.reply_to_id) == (3, two.pk, four.pk)
    assert max(Comment.objects.values_list("depth", flat=True)) == 3


def test_a_thread_deeper_than_three_from_before_the_limit_shows_three_deep(make_consultation, residents):
    c, one, two, three = _chain(make_consultation, residents)
    old = Comment.objects.create(consultation=c, author=residents[0], body="เก่า", parent=three, depth=4)
    threads = selectors.comment_threads(selectors.comments_for(c, None))
    (root,) = threads["consultation"]
    (level_two,) = root.children
    assert [x.pk for x in level_two.children] == [three.pk, old.pk]
    assert level_two.children[0].children == []


def test_the_api_answers_depth_and_reply_to(make_consultation, residents, api):
    c, one, two, three = _chain(make_consultation, residents)
    response = api(residents[0]).post(
        f"/api/v1/consultations/{c.pk}/comments/", {"body": "ตอบระดับสาม", "parent_id": three.pk}, format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["depth"], body["parent_id"], body["reply_to_id"]) == (3, two.pk, three.pk)
    rows = {r["id"]: r for r in api().get(f"/api/v1/consultations/{c.pk}/comments/").json()["results"]}
    assert [rows[x.pk]["depth"] for x in (one, two, three)] == [1, 2, 3]
    assert rows[body["id"]]["reply_to_id"] == three.pk and rows[one.pk]["reply_to_id"] is None


def test_the_page_reply_form_nests_it_at_level_three(make_consultation, residents, client):
    c, one, two, three = _chain(make_consultation, residents)
    client.force_login(residents[0])
    page = client.get(f"/consultations/{c.pk}/").content.decode()
    assert f'name="parent_id" value="{three.pk}"' in page  # level 3 can still be answered
    response = client.post(f"/consultations/{c.pk}/comments/", {"body": "ตอบจากหน้าเว็บ", "parent_id": three.pk})
    assert response.status_code == 302
    four = Comment.objects.get(body="ตอบจากหน้าเว็บ")
    assert (four.depth, four.parent_id, four.reply_to_id) == (3, two.pk, three.pk)
    page = client.get(f"/consultations/{c.pk}/").content.decode()
    # Nested lists: the new reply sits in level two's list, beside level three, and names whom it answers.
    level_two = page[page.index(f'id="comment-{two.pk}"') :]
    assert level_two.index(f'id="comment-{three.pk}"') < level_two.index(f'id="comment-{four.pk}"')
    between = level_two[level_two.index(f'id="comment-{three.pk}"') : level_two.index(f'id="comment-{four.pk}"')]
    assert len(re.findall(r"<ul", between)) == len(re.findall(r"</ul>", between))  # not inside level three's list
    assert f'href="#comment-{three.pk}" data-testid="reply-to"' in page
