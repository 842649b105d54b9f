"""Petition records over the API: list, detail, create, and the engine's generic moves."""

import pytest

from petitions.models import Petition
from tests.conftest import error_of
from workflows.models import Deadline

from .conftest import make_petition, sign_and_confirm

pytestmark = pytest.mark.django_db


def test_the_list_shows_public_petitions_with_counts(api, org, policy, resident, sponsors, moderator, outsider):
    opened = make_petition(org, resident, state="open", sponsors=sponsors, moderator=moderator)
    draft = make_petition(org, resident, title="ร่างของฉัน")
    sign_and_confirm(opened, 1)
    ids = {p["id"]: p for p in api().get("/api/v1/petitions/").json()["results"]}
    assert set(ids) == {opened.pk} and ids[opened.pk]["signatures"] == {"confirmed": 1}
    assert draft.pk in {p["id"] for p in api(resident).get("/api/v1/petitions/").json()["results"]}
    assert draft.pk in {p["id"] for p in api(moderator).get("/api/v1/petitions/").json()["results"]}
    assert draft.pk not in {p["id"] for p in api(outsider).get("/api/v1/petitions/").json()["results"]}


def test_the_detail_never_shows_emails_or_id_numbers(api, open_ordinance):
    from .conftest import valid_national_id

    nid = valid_national_id(42)
    sign_and_confirm(open_ordinance, 1, village=2, national_id=nid, email="private@example.org")
    body = api().get(f"/api/v1/petitions/{open_ordinance.pk}/")
    assert body.status_code == 200
    text = body.content.decode()
    assert "private@example.org" not in text and nid not in text and nid[-4:] not in text
    assert body.json()["signatures"]["by_village"] == [{"village": 2, "count": 1}]
    response = api().get("/api/v1/petitions/999999/")
    assert response.status_code == 404 and error_of(response)["code"] == "not_found"


def test_residents_create_drafts_over_the_api(api, org, policy, resident, outsider):
    body = {"kind": "general", "title": "ขอไฟถนน", "body": "ติดตั้งไฟ", "organisation": org.slug}
    response = api(resident).post("/api/v1/petitions/", body, format="json")
    assert response.status_code == 201 and response.json()["state"] == "draft"
    assert api().post("/api/v1/petitions/", body, format="json").status_code in (401, 403)
    assert api(outsider).post("/api/v1/petitions/", body, format="json").status_code == 403
    bad = api(resident).post("/api/v1/petitions/", body | {"title": "ก" * 10_000}, format="json")
    assert bad.status_code == 400 and "title" in error_of(bad)["details"]
    bad = api(resident).post("/api/v1/petitions/", body | {"kind": "referendum"}, format="json")
    assert bad.status_code == 400
    assert Petition.objects.count() == 1


def test_the_generic_transition_endpoint_keeps_deadlines_in_step(api, org, policy, resident, sponsors, moderator):
    petition = make_petition(org, resident, state="awaiting_moderation", sponsors=sponsors)
    moves = api(moderator).get(f"/api/v1/petitions/{petition.pk}/transitions/").json()["transitions"]
    assert {m["name"] for m in moves} == {"open", "reject", "hide"}
    response = api(resident).post(f"/api/v1/petitions/{petition.pk}/transitions/open/", {}, format="json")
    assert response.status_code == 403
    response = api(moderator).post(f"/api/v1/petitions/{petition.pk}/transitions/reject/", {"reason": "x"}, format="json")
    assert response.status_code == 400 and Petition.objects.get(pk=petition.pk).state == "awaiting_moderation"
    response = api(moderator).post(f"/api/v1/petitions/{petition.pk}/transitions/open/", {}, format="json")
    assert response.status_code == 200 and response.json()["state"]["state"] == "open"
    assert Deadline.objects.filter(record_id=str(petition.pk), transition="close", done_at__isnull=True).exists()
    again = api(moderator).post(f"/api/v1/petitions/{petition.pk}/transitions/open/", {}, format="json")
    assert again.status_code == 409 and error_of(again)["code"] == "transition_not_allowed"
