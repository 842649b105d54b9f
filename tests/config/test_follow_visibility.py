"""Following a record answers as reading it does: a record the person may not see (a hidden
petition, one still awaiting moderation, a draft consultation) is a 404 on every follow path
(page, htmx, API), and nothing is subscribed. Those who may see it still follow it."""

import pytest
from django.urls import reverse

from accounts.models import Role
from consultations.models import Consultation
from consultations.services import consultation_create
from notifications.models import Subscription
from petitions.models import Petition
from petitions.services import petition_create

pytestmark = pytest.mark.django_db


def petition_in(org, author, state: str) -> Petition:
    petition = petition_create(organisation=org, author=author, kind="general", title="ขอไฟส่องสว่าง", body="ถนนมืด")
    Petition.objects.filter(pk=petition.pk).update(state=state)  # tests only: the field is protected
    return Petition.objects.get(pk=petition.pk)


@pytest.fixture
def neighbour(make_user, org):
    return make_user(Role.RESIDENT, org=org, email="neighbour@example.com")


def records(org, resident, moderator):
    draft = consultation_create(organisation=org, actor=moderator, title="แผนพัฒนาท้องถิ่น", level="consult")
    return {
        "hidden petition": (petition_in(org, resident, "hidden"), "petitions.petition"),
        "unmoderated petition": (petition_in(org, resident, "awaiting_moderation"), "petitions.petition"),
        "draft consultation": (draft, "consultations.consultation"),
    }


@pytest.mark.parametrize("which", ["hidden petition", "unmoderated petition", "draft consultation"])
def test_it_answers_404_to_whoever_may_not_read_it(client, api, org, resident, moderator, neighbour, which):
    record, record_type = records(org, resident, moderator)[which]
    client.force_login(neighbour)
    assert client.get(record.get_absolute_url()).status_code == 404  # reading: 404
    follow = reverse("notifications:follow", args=[record_type, record.pk])
    assert client.post(follow).status_code == 404
    assert client.post(follow, headers={"HX-Request": "true"}).status_code == 404
    detail = reverse("api:subscription-detail", args=[record_type, record.pk])
    assert api(neighbour).get(detail).status_code == 404
    assert api(neighbour).put(detail).status_code == 404
    listed = api(neighbour).post(reverse("api:subscription-list"), {"record_type": record_type, "record_id": str(record.pk)})
    assert listed.status_code == 404
    assert not Subscription.objects.filter(user=neighbour).exists()


@pytest.mark.parametrize("which", ["hidden petition", "unmoderated petition", "draft consultation"])
def test_staff_who_may_read_it_follow_it(client, api, org, resident, moderator, which):
    record, record_type = records(org, resident, moderator)[which]
    client.force_login(moderator)
    assert client.get(record.get_absolute_url()).status_code == 200
    assert client.post(reverse("notifications:follow", args=[record_type, record.pk])).status_code == 302
    assert api(moderator).get(reverse("api:subscription-detail", args=[record_type, record.pk])).json()["following"] is True


def test_the_author_follows_their_own_unmoderated_petition_but_not_once_hidden(client, org, resident, moderator):
    found = records(org, resident, moderator)
    client.force_login(resident)
    unmoderated, _ = found["unmoderated petition"]
    hidden, _ = found["hidden petition"]
    assert client.post(reverse("notifications:follow", args=["petitions.petition", unmoderated.pk])).status_code == 302
    assert client.post(reverse("notifications:follow", args=["petitions.petition", hidden.pk])).status_code == 404
    # Starting a petition follows it automatically; only the explicit follow of the visible one counted.
    chosen = Subscription.objects.filter(user=resident, auto=False).values_list("record_id", flat=True)
    assert list(chosen) == [str(unmoderated.pk)]


def test_a_published_consultation_is_followed_by_anyone_signed_in(client, org, moderator, neighbour):
    c = consultation_create(organisation=org, actor=moderator, title="แผนพัฒนาท้องถิ่น", level="consult")
    Consultation.objects.filter(pk=c.pk).update(state="informing")
    client.force_login(neighbour)
    assert client.post(reverse("notifications:follow", args=["consultations.consultation", c.pk])).status_code == 302
    assert Subscription.objects.filter(user=neighbour, record_id=str(c.pk)).exists()
