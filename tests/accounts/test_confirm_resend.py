"""A resident who lost the confirmation mail asks for it again (limited like every account mail),
and a signed-in but unconfirmed account sees a banner with that link on every page."""

import re

import pytest
from django.conf import settings
from django.urls import reverse

from notifications.models import OutboxEvent
from notifications.relay import relay_pending
from tests.conftest import requires_redis
from tests.notifications.conftest import text_of

RESEND = reverse("accounts:confirm_resend")
BANNER = 'data-testid="unconfirmed-banner"'


@pytest.fixture
def unconfirmed(make_user):
    return make_user(email="somsri@example.com", full_name="สมศรี ใจงาม", confirmed=False)


def confirmations(email=None):
    events = OutboxEvent.objects.filter(event="account.confirm_email")
    return [e for e in events if email is None or e.audience["emails"][0]["email"] == email]


@pytest.mark.parametrize("page", ["home", "petitions:list", "consultations:list", "workflows:audit", "notifications:inbox"])
def test_a_signed_in_unconfirmed_account_sees_the_banner_on_every_page(client, unconfirmed, page):
    client.force_login(unconfirmed)
    html = client.get(reverse(page)).content.decode()
    assert BANNER in html and "โปรดยืนยันอีเมล somsri@example.com ของคุณ" in html
    assert f'href="{RESEND}"' in html and "ส่งลิงก์ยืนยันอีกครั้ง" in html


def test_confirmed_and_anonymous_people_see_no_banner(client, resident):
    assert BANNER not in client.get(reverse("home")).content.decode()
    client.force_login(resident)
    assert BANNER not in client.get(reverse("home")).content.decode()


def test_signed_in_it_is_one_button_for_your_own_address_and_the_new_link_confirms(client, unconfirmed, smtp_backend, eager):
    client.force_login(unconfirmed)
    page = client.get(RESEND).content.decode()
    assert "somsri@example.com" in page and 'name="email"' not in page and BANNER not in page
    response = client.post(RESEND)
    assert response.status_code == 302 and response["Location"] == RESEND
    assert "เราได้ส่งลิงก์ใหม่ไปแล้ว" in client.get(RESEND).content.decode()
    relay_pending()
    (message,) = smtp_backend.to("somsri@example.com")
    link = re.search(r"https?://\S+/accounts/confirm/\S+/", text_of(message)).group(0)
    assert client.post(link.replace(settings.SITE_URL, "")).status_code == 302
    unconfirmed.refresh_from_db()
    assert unconfirmed.email_confirmed
    assert BANNER not in client.get(reverse("home")).content.decode()


def test_anonymous_people_give_the_address_and_the_page_reveals_nobody(client, unconfirmed, resident):
    answers = [client.post(RESEND, {"email": email}) for email in (" SomSri@Example.com", resident.email, "nobody@example.com")]
    assert [(r.status_code, r["Location"]) for r in answers] == [(302, RESEND)] * 3
    assert len(confirmations()) == 1 and confirmations("somsri@example.com")


def test_bad_input_is_a_clear_form_error(client, db):
    for data in ({"email": "not an address"}, {}):
        response = client.post(RESEND, data)
        assert response.status_code == 200 and response.context["form"].errors
    # a NUL is refused before any view (workflows.parsers.TextInputMiddleware)
    assert client.post(RESEND, {"email": "x\x00@example.com"}).status_code == 400
    assert not OutboxEvent.objects.exists()


def test_a_confirmed_account_is_sent_home(client, resident):
    client.force_login(resident)
    response = client.post(RESEND)
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert not OutboxEvent.objects.exists()


def test_the_page_of_a_bad_confirmation_link_leads_here(client, db):
    html = client.get(reverse("accounts:confirm", kwargs={"token": "garbage"})).content.decode()
    assert f'href="{RESEND}"' in html


@requires_redis
@pytest.mark.redis
def test_it_is_limited_with_the_time_to_wait(client, unconfirmed):
    client.force_login(unconfirmed)
    codes = [client.post(RESEND).status_code for _ in range(settings.ACCOUNT_MAIL_LIMIT + 1)]
    assert codes == [302] * settings.ACCOUNT_MAIL_LIMIT + [429]
    refused = client.post(RESEND)
    assert refused.status_code == 429 and "เราส่งอีเมลนี้ไปหลายครั้งแล้ว" in refused.content.decode()
    assert len(confirmations()) == settings.ACCOUNT_MAIL_LIMIT


@requires_redis
@pytest.mark.redis
def test_many_people_on_one_address_are_not_held_back_by_each_other(client, make_user):
    """A registration drive at a village meeting: 40 people on one Wi-Fi each ask once."""
    people = [make_user(email=f"p{i}@example.com", confirmed=False) for i in range(40)]
    assert {client.post(RESEND, {"email": p.email}).status_code for p in people} == {302}
    assert len(confirmations()) == 40


@requires_redis
@pytest.mark.redis
def test_registering_again_and_again_mails_no_more_than_the_limit(client, org):
    from tests.accounts.test_registration import register

    codes = [register(client, org).status_code for _ in range(settings.ACCOUNT_MAIL_LIMIT + 3)]
    assert set(codes) == {302}  # the page says the same each time
    assert len(confirmations("somsri@example.com")) == settings.ACCOUNT_MAIL_LIMIT
    assert client.post(RESEND, {"email": "somsri@example.com"}).status_code == 429  # and the resend page agrees
