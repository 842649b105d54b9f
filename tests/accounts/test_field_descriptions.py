"""A refused form's fields point aria-describedby at their help and their error, and both are on
the page: otherwise a screen reader reads the field without either (axe only flags it for review)."""

import re

from django.urls import reverse

BAD = {"full_name": "", "email": "not-an-email", "password1": "short", "password2": "other", "language": "th"}


def described_ids(html: str) -> list[str]:
    return [i for ids in re.findall(r'aria-describedby="([^"]+)"', html) for i in ids.split()]


def test_every_id_a_refused_registration_names_is_on_the_page(client, org):
    response = client.post(reverse("accounts:register"), {**BAD, "organisation": org.pk})
    assert response.status_code == 400 or response.status_code == 200
    html = response.content.decode()
    ids = described_ids(html)
    assert "id_email_error" in ids and "id_password1_helptext" in ids  # Django 5.2 names both
    missing = [i for i in ids if f'id="{i}"' not in html]
    assert not missing, missing


def test_the_error_text_is_what_the_field_is_described_by(client, org):
    html = client.post(reverse("accounts:register"), {**BAD, "organisation": org.pk}).content.decode()
    error = re.search(r'id="id_email_error">([^<]+)<', html)
    assert error and error.group(1).strip()
