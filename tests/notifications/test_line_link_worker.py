"""End to end (issue 16): a resident links LINE through a local LINE Login (real HTTP on a free
port), chooses LINE for one event type on the settings page, the event happens (a moderator opens
their petition, through the one transition service), and a real Celery worker, started with the
running interpreter, pushes it to the local LINE Messaging API in the resident's language."""

import pytest
from django.conf import settings

from accounts.models import Role
from notifications.models import Channel, ChannelAddress, Delivery
from petitions.models import PetitionPolicy
from tests.conftest import requires_postgres, requires_redis
from tests.petitions.conftest import make_petition
from workflows.services import transition

from .conftest import free_port, link_through_line, purge, wait_until
from .fakes import FakeLine
from .test_line_link import LINKED, PREFS

pytestmark = [requires_redis, requires_postgres, pytest.mark.redis, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_a_resident_links_line_chooses_it_and_a_worker_pushes_the_event_to_line(
    client, make_user, org, moderator, line_login, fake_line, workers
):
    purge(settings.REDIS_URL)
    PetitionPolicy.objects.create(organisation=org, sponsors_required=2, response_threshold=3, council_threshold=5,
                                  ordinance_threshold=4, ip_limit=1000, petition_limit=100000)  # fmt: skip
    sponsors = [make_user(Role.RESIDENT, org=org, email=f"sponsor{i}@example.com") for i in range(2)]
    author = make_user(Role.RESIDENT, org=org, email="malee@example.com", language="en")
    petition = make_petition(org, author, title="Street lights for Moo 3", state="awaiting_moderation", sponsors=sponsors)

    client.force_login(author)
    assert link_through_line(client).status_code == 302
    assert ChannelAddress.objects.get(user=author, channel=Channel.LINE).address == LINKED
    saved = client.post(PREFS, {"email": "immediate", "inapp": "immediate", "event:petition.opened:line": "immediate"})
    assert saved.status_code == 302

    workers(free_port(), settings.REDIS_URL, LINE_API_BASE_URL=fake_line.base_url, LINE_CHANNEL_ACCESS_TOKEN=FakeLine.TOKEN)
    transition(petition, "open", actor=moderator)
    pushed = wait_until(lambda: fake_line.count() >= 1, timeout=60)
    assert pushed, list(Delivery.objects.values("channel", "status", "last_error"))
    (text,) = fake_line.texts_to(LINKED)
    assert text.startswith("Petition open for signing: Street lights for Moo 3"), text
    assert f"/petitions/{petition.pk}/" in text
    assert wait_until(lambda: Delivery.objects.get(user=author, channel=Channel.LINE).status == Delivery.Status.SENT, timeout=10)
    assert fake_line.count() == 1  # LINE only for the author who chose it; the sponsors chose nothing
