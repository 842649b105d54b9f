"""Rejecting or hiding a petition, and invalidating signatures in bulk, need a confirmation
(issue 14): 400 confirmation_required without it, nothing changed; the page's buttons are .danger."""

import re

from petitions.models import Petition
from workflows.services import transition

from ..conftest import error_of
from .conftest import make_petition


def test_hiding_needs_confirm_on_the_api(api, org, policy, resident, sponsors, moderator):
    petition = make_petition(org, resident, state="awaiting_moderation", sponsors=sponsors)
    url = f"/api/v1/petitions/{petition.pk}/transitions/hide/"
    body = {"reason": "ข้อมูลส่วนบุคคล", "payload": {"reason_code": "personal_data"}}
    refused = api(moderator).post(url, body, format="json")
    assert refused.status_code == 400 and error_of(refused)["code"] == "confirmation_required"
    assert Petition.objects.get(pk=petition.pk).state == "awaiting_moderation"
    assert api(resident).post(url, body, format="json").status_code == 403  # who may, before whether confirmed
    done = api(moderator).post(url, body | {"confirm": True}, format="json")
    assert done.status_code == 200 and Petition.objects.get(pk=petition.pk).state == "hidden"


def test_the_service_path_asks_only_a_person(org, policy, resident, sponsors, moderator):
    import pytest

    from workflows.confirm import ConfirmationRequired

    petition = make_petition(org, resident, state="awaiting_moderation", sponsors=sponsors)
    with pytest.raises(ConfirmationRequired):
        transition(petition, "reject", actor=moderator, reason="ซ้ำ", payload={"reason_code": "duplicate"}, confirm=False)
    assert Petition.objects.get(pk=petition.pk).state == "awaiting_moderation"
    transition(petition, "reject", actor=moderator, reason="ซ้ำ", payload={"reason_code": "duplicate"}, confirm=True)
    assert Petition.objects.get(pk=petition.pk).state == "rejected"


def test_the_pages_show_danger_buttons_behind_a_checkbox(client, org, policy, resident, sponsors, moderator, open_petition):
    petition = make_petition(org, resident, state="awaiting_moderation", sponsors=sponsors, title="ขอถนนใหม่")
    client.force_login(moderator)
    page = client.get(f"/petitions/{petition.pk}/").content.decode()
    assert re.search(r'<button type="submit" class="danger" data-testid="act-reject">', page)
    assert 'data-testid="confirm-reject"' in page
    queue = client.get("/petitions/moderation/").content.decode()
    assert f'id="confirm-{petition.pk}"' in queue and 'class="danger"' in queue
    review = client.get(f"/petitions/{open_petition.pk}/signatures/").content.decode()
    assert 'data-testid="confirm-invalidate"' in review and 'class="danger" data-testid="invalidate-submit"' in review
