"""The demo seed makes realistic petitions through the services, once."""

import pytest

from accounts.models import Role
from petitions import demo
from petitions.models import Petition, Response
from petitions.selectors import petition_counts

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_it_seeds_petitions_in_various_states_once(org, make_user, client):
    users = {
        "residents": [make_user(Role.RESIDENT, org=org, email=f"r{i}@example.com") for i in range(6)],
        "moderator": make_user(Role.MODERATOR, org=org),
        "clerk": make_user(Role.CLERK, org=org),
        "admin": make_user(Role.ADMIN, org=org),
    }
    users["resident"] = users["residents"][0]
    demo.seed(org, users)
    states = dict(Petition.objects.values_list("title", "state"))
    assert set(states.values()) >= {"open", "decided", "awaiting_moderation", "collecting_sponsors", "rejected"}
    lights = Petition.objects.get(title__contains="ไฟส่องสว่าง")
    assert lights.response_state == "responded" and Response.objects.filter(petition=lights).exists()
    counts = petition_counts(lights.pk, fresh=True)
    assert counts.total == 64 and sum(n for _h, n in counts.hours) == 64 and len(counts.hours) > 5
    ordinance = Petition.objects.get(kind="ordinance")
    assert ordinance.signatures.filter(national_id_last4__regex=r"^\d{4}$").count() == 44
    # 7 of them on paper: the sheet's 8th line was read differently by the two staff and waits.
    assert ordinance.signatures.filter(channel="paper").count() == 7 and petition_counts(ordinance.pk, fresh=True).total == 44
    assert ordinance.paper_sheets.get().entries.filter(status="mismatch").count() == 2
    assert ordinance.draft_ordinance and ordinance.representatives.count() == 1
    before = Petition.objects.count()
    demo.seed(org, users)
    assert Petition.objects.count() == before
    assert client.get(f"/petitions/{lights.pk}/").status_code == 200
