"""A refused petition form keeps what the person wrote (issue 15): the create and sign forms come
back with status 400, the text in its boxes, the errors beside it and each box's limit ("n/5000")."""

import re

import pytest

from petitions.models import Petition, Signature

pytestmark = pytest.mark.django_db


def limit(page: str, box_id: str) -> str:
    return re.search(rf'data-testid="limit-{box_id}">([^<]*)<', page).group(1)


def test_a_refused_draft_comes_back_with_its_text_and_limits(client, org, policy, resident):
    client.force_login(resident)
    fresh = client.get("/petitions/new/").content.decode()
    assert limit(fresh, "id_title") == "0/200" and limit(fresh, "id_body") == "0/5000"
    assert limit(fresh, "id_background") == "0/5000"
    response = client.post("/petitions/new/", {"kind": "general", "title": "ขอไฟถนน", "body": "", "background": "ซอยมืดมาก"})
    assert response.status_code == 400 and not Petition.objects.exists()
    page = response.content.decode()
    assert 'value="ขอไฟถนน"' in page and "ซอยมืดมาก</textarea>" in page and "errorlist" in page
    assert limit(page, "id_title") == "7/200" and limit(page, "id_background") == "9/5000"
    long = client.post("/petitions/new/", {"kind": "general", "title": "ขอไฟถนน", "body": "ก" * 5001})
    assert long.status_code == 400 and limit(long.content.decode(), "id_body") == "5001/5000"


def test_a_refused_signature_comes_back_with_the_name_and_its_limit(client, open_petition):
    response = client.post(
        f"/petitions/{open_petition.pk}/sign/", {"name": "สมหญิง ใจดี", "email": "s@example.org", "village": "2"}
    )
    assert response.status_code == 400 and not Signature.objects.exists()
    page = response.content.decode()
    assert 'value="สมหญิง ใจดี"' in page and 'value="s@example.org"' in page
    assert limit(page, "id_name") == "11/200"
