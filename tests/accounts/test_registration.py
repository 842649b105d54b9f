"""Residents register, get a confirmation link by email (outbox), and confirm with a POST."""

import re

import pytest
from django.core import signing
from django.urls import reverse

from accounts.models import Membership, Organisation, User
from accounts.services import CONFIRM_SALT, email_confirm_path, user_register
from notifications.models import OutboxEvent

FORM = {
    "full_name": "สมศรี ใจงาม",
    "email": "  SomSri@Example.com ",
    "password1": "a-long-enough-passphrase-42",
    "password2": "a-long-enough-passphrase-42",
    "language": "th",
}


def register(client, org, **changes):
    return client.post(reverse("accounts:register"), {**FORM, "organisation": org.pk, **changes})


def test_it_shows_the_form_in_thai_with_the_first_organisation_chosen(client, org, other_org):
    html = client.get(reverse("accounts:register")).content.decode()
    assert "<form" in html and 'name="email"' in html
    first = Organisation.objects.order_by("pk").first()
    assert re.search(rf'<option value="{first.pk}" selected>', html)
    assert "ลงทะเบียน" in html  # Thai first


def test_it_creates_an_unconfirmed_resident_and_queues_the_confirmation_email(client, org):
    response = register(client, org, village=org.villages.get(number=3).pk)
    assert response.status_code == 302 and response["Location"] == reverse("accounts:register_sent")
    user = User.objects.get(email="somsri@example.com")
    assert user.email_confirmed_at is None and user.check_password(FORM["password1"])
    assert user.village.number == 3
    assert list(Membership.objects.filter(user=user).values_list("organisation", "role")) == [(org.pk, "resident")]
    event = OutboxEvent.objects.get(event="account.confirm_email")
    assert event.audience == {"emails": [{"email": "somsri@example.com", "name": "สมศรี ใจงาม", "language": "th"}]}
    assert event.data["name"] == "สมศรี ใจงาม" and event.data["title"]
    assert event.data["url"].startswith("/accounts/confirm/")


def test_it_rejects_bad_input_clearly_and_creates_nothing(client, org, other_org):
    response = register(client, org, password2="something-else-entirely")
    assert response.status_code == 200 and "password2" in response.context["form"].errors
    response = register(client, org, password1="12345678", password2="12345678")
    assert "password1" in response.context["form"].errors
    response = register(client, other_org, village=org.villages.first().pk)  # village of another organisation
    assert "village" in response.context["form"].errors
    assert not User.objects.exists() and not OutboxEvent.objects.exists()


def test_registering_a_known_address_reveals_nothing_and_resends_only_if_unconfirmed(client, org, resident):
    response = register(client, org, email=resident.email)
    assert response.status_code == 302
    assert not OutboxEvent.objects.exists()  # already confirmed: nothing sent, same page shown
    user_register(email="new@example.com", password=FORM["password1"], organisation=org)
    user_register(email="NEW@example.com", password=FORM["password1"], organisation=org)
    assert User.objects.filter(email="new@example.com").count() == 1
    assert OutboxEvent.objects.filter(event="account.confirm_email").count() == 2


def confirm_url(client, org) -> tuple[User, str]:
    register(client, org)
    return User.objects.get(email="somsri@example.com"), OutboxEvent.objects.get().data["url"]


def test_a_get_of_the_link_shows_a_button_and_confirms_nothing(client, org):
    user, url = confirm_url(client, org)
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'method="post"' in html and 'data-testid="confirm-email"' in html
    user.refresh_from_db()
    assert user.email_confirmed_at is None


def test_the_post_confirms_and_the_account_becomes_a_resident(client, org):
    from accounts.selectors import is_resident_of

    user, url = confirm_url(client, org)
    response = client.post(url)
    assert response.status_code == 302 and response["Location"] == reverse("accounts:login")
    user.refresh_from_db()
    assert user.email_confirmed_at is not None and is_resident_of(user, org)
    confirmed_at = user.email_confirmed_at
    assert client.post(url).status_code == 302  # idempotent
    user.refresh_from_db()
    assert user.email_confirmed_at == confirmed_at
    assert client.get(url).context["already"] is True


@pytest.mark.parametrize("token", ["garbage", "eyJ1IjoxfQ:1abcde:forged-signature"])
def test_a_bad_token_gets_a_clear_400_page(client, org, token):
    for method in (client.get, client.post):
        response = method(reverse("accounts:confirm", kwargs={"token": token}))
        assert response.status_code == 400
        assert response.templates[0].name == "accounts/confirm_invalid.html"
        assert not response.context["expired"]


def test_an_expired_token_gets_a_clear_400_page_and_confirms_nothing(client, org):
    user, url = confirm_url(client, org)
    token = url.rstrip("/").rsplit("/", 1)[1]
    signer = signing.TimestampSigner(salt=CONFIRM_SALT)
    payload = token.rsplit(":", 1)[0].rsplit(":", 1)[0]  # strip timestamp and signature
    old = signing.TimestampSigner(salt=CONFIRM_SALT)
    old.timestamp = lambda: signing.b62_encode(1_000_000_000)  # 2001
    expired = old.sign(payload)
    assert signer.unsign(expired)  # a genuine signature, only old
    response = client.post(reverse("accounts:confirm", kwargs={"token": expired}))
    assert response.status_code == 400 and response.context["expired"] is True
    user.refresh_from_db()
    assert user.email_confirmed_at is None


def test_a_link_for_an_old_address_stops_working_when_the_address_changes(client, org):
    user, url = confirm_url(client, org)
    User.objects.filter(pk=user.pk).update(email="changed@example.com")
    assert client.post(url).status_code == 400
    user.refresh_from_db()
    assert url != email_confirm_path(user)


def test_login_and_logout_pages_work(client, resident):
    from tests.conftest import PASSWORD

    assert "accounts/register/" in client.get(reverse("accounts:login")).content.decode()
    response = client.post(reverse("accounts:login"), {"username": resident.email, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("accounts:register")).status_code == 302  # signed in: nothing to register
    assert client.post(reverse("accounts:logout")).status_code == 302
    response = client.post(reverse("accounts:login"), {"username": resident.email, "password": "wrong"})
    assert response.status_code == 200 and response.context["form"].errors
