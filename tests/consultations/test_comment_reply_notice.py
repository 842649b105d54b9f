"""Authors hear replies to their comments (issue 15): consultation.comment_reply through the outbox,
to the author of the comment answered, once the reply is public."""

from django.template.loader import render_to_string
from django.utils import translation

from consultations import services
from consultations.models import State
from notifications.channels import context_for
from notifications.events import CHOOSABLE_EVENTS
from notifications.models import Notification, OutboxEvent
from notifications.relay import relay_pending


def test_the_author_hears_a_reply_in_her_inbox_in_thai(make_consultation, residents):
    author, replier, _ = residents
    c = make_consultation("consult", State.DELIBERATION, title="ซ่อมถนนหมู่ 3")
    mine = services.comment_post(consultation=c, actor=author, body="ถนนเป็นหลุมลึก")
    reply = services.comment_post(consultation=c, actor=replier, body="เห็นด้วย ควรซ่อมก่อนฝนตก", parent_id=mine.pk)
    event = OutboxEvent.objects.get(event="consultation.comment_reply")
    assert event.audience == {"users": [author.pk]}
    assert event.data["url"].endswith(f"/consultations/{c.pk}/#comment-{reply.pk}")
    assert (event.data["item"], event.data["reply"]) == ("ถนนเป็นหลุมลึก", "เห็นด้วย ควรซ่อมก่อนฝนตก")
    relay_pending()
    (note,) = Notification.objects.filter(event="consultation.comment_reply")
    assert note.user_id == author.pk and note.title == "มีผู้ตอบความเห็นของคุณ: ซ่อมถนนหมู่ 3"
    assert "consultation.comment_reply" in CHOOSABLE_EVENTS
    with translation.override("th"):
        text = render_to_string("notifications/email/consultation.comment_reply.txt", context_for(event, language="th"))
    assert "มีผู้ตอบความเห็นของคุณในการรับฟังความคิดเห็นเรื่อง “ซ่อมถนนหมู่ 3”" in text and "เห็นด้วย ควรซ่อมก่อนฝนตก" in text


def test_a_reply_to_level_three_tells_the_author_answered_not_the_parent(make_consultation, residents, make_user, org):
    from accounts.models import Role

    a, b, d = residents
    e = make_user(Role.RESIDENT, org=org)
    c = make_consultation("consult", State.DELIBERATION)
    one = services.comment_post(consultation=c, actor=a, body="1")
    two = services.comment_post(consultation=c, actor=b, body="2", parent_id=one.pk)
    three = services.comment_post(consultation=c, actor=d, body="3", parent_id=two.pk)
    OutboxEvent.objects.filter(event="consultation.comment_reply").delete()
    services.comment_post(consultation=c, actor=e, body="4", parent_id=three.pk)
    (event,) = OutboxEvent.objects.filter(event="consultation.comment_reply")
    assert event.audience == {"users": [d.pk]}


def test_no_notice_for_answering_oneself_or_a_top_level_comment(make_consultation, residents):
    author = residents[0]
    c = make_consultation("consult", State.DELIBERATION)
    mine = services.comment_post(consultation=c, actor=author, body="ความเห็น")
    services.comment_post(consultation=c, actor=author, body="เพิ่มเติม", parent_id=mine.pk)
    assert not OutboxEvent.objects.filter(event="consultation.comment_reply").exists()


def test_a_pre_moderated_reply_is_announced_when_published(make_consultation, residents, moderator, api):
    author, replier, _ = residents
    c = make_consultation("consult", State.DELIBERATION, moderation="pre")
    mine = services.comment_post(consultation=c, actor=author, body="ความเห็น")
    services.moderation_decide(consultation=c, actor=moderator, kind="comment", object_id=mine.pk, outcome="publish")
    response = api(replier).post(f"/api/v1/consultations/{c.pk}/comments/", {"body": "ตอบ", "parent_id": mine.pk}, format="json")
    assert response.status_code == 201 and response.json()["visibility"] == "pending"
    assert not OutboxEvent.objects.filter(event="consultation.comment_reply").exists()
    published = api(moderator).post(
        f"/api/v1/consultations/{c.pk}/moderation/",
        {"kind": "comment", "object_id": response.json()["id"], "outcome": "publish"},
        format="json",
    )
    assert published.status_code == 200
    (event,) = OutboxEvent.objects.filter(event="consultation.comment_reply")
    assert event.audience == {"users": [author.pk]}


def test_a_reply_from_the_page_form_tells_the_author(make_consultation, residents, client):
    author, replier, _ = residents
    c = make_consultation("consult", State.DELIBERATION)
    mine = services.comment_post(consultation=c, actor=author, body="ความเห็น")
    client.force_login(replier)
    assert client.post(f"/consultations/{c.pk}/comments/", {"body": "ตอบจากหน้าเว็บ", "parent_id": mine.pk}).status_code == 302
    event = OutboxEvent.objects.get(event="consultation.comment_reply")
    assert event.audience == {"users": [author.pk]} and event.data["reply"] == "ตอบจากหน้าเว็บ"
