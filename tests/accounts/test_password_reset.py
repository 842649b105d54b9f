"""Forgotten passwords: Django's reset views, a mail in the person's language through the outbox
to a real SMTP listener, a link that works once and expires (PASSWORD_RESET_TIMEOUT), and mail
requests limited like the confirmation mail."""

import datetime as dt
import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from accounts.services import ResetTokens, password_reset_path
from notifications.models import Notification, OutboxEvent
from notifications.relay import relay_pending
from tests.conftest import PASSWORD, requires_redis
from tests.notifications.conftest import text_of

RESET = reverse("accounts:password_reset")
NEW = "a-brand-new-passphrase-77"


def ask(client, email, **extra):
    return client.post(RESET, {"email": email}, **extra)


def mailed_link(mailbox, address) -> str:
    (message,) = mailbox.to(address)
    return re.search(r"https?://\S+/accounts/password/reset/\S+/", text_of(message)).group(0)


def set_password(client, link, password=NEW):
    path = link.replace(settings.SITE_URL, "")
    form = client.get(path)
    assert form.status_code == 302  # Django moves the token out of the URL into the session
    return client.post(form["Location"], {"new_password1": password, "new_password2": password})


def test_the_timeout_is_an_hour_unless_configured():
    assert settings.PASSWORD_RESET_TIMEOUT == 3600


def test_it_mails_a_thai_link_that_sets_a_new_password_once(client, smtp_backend, eager, make_user):
    person = make_user(email="somchai@example.com", full_name="สมชาย ใจดี", language="th", confirmed=False)
    response = ask(client, "  SomChai@Example.com ")
    assert response.status_code == 302 and response["Location"] == reverse("accounts:password_reset_done")
    assert "60 นาที" in client.get(response["Location"]).content.decode()
    relay_pending()

    (message,) = smtp_backend.to("somchai@example.com")
    assert message["Subject"].strip() == "ตั้งรหัสผ่านใหม่สำหรับร่วมคิด"
    body = text_of(message)
    assert "เรียน คุณสมชาย ใจดี" in body and "ลิงก์ใช้ได้ครั้งเดียว ภายใน 60 นาที" in body
    assert "unsubscribe" not in body  # a secret they asked for, not a newsletter
    link = mailed_link(smtp_backend, "somchai@example.com")
    assert link.startswith(settings.SITE_URL + "/accounts/password/reset/")

    done = set_password(client, link)
    assert done.status_code == 302 and done["Location"] == reverse("accounts:password_reset_complete")
    person.refresh_from_db()
    assert person.check_password(NEW) and client.session["_auth_user_id"] == str(person.pk)
    assert person.email_confirmed  # the link reached the address: it is theirs
    assert not Notification.objects.exists()  # never in the inbox

    again = Client().get(link.replace(settings.SITE_URL, ""))
    assert again.status_code == 400 and again.context["expired"] is False
    assert "ลิงก์นี้ใช้ไม่ได้ อาจเคยใช้ไปแล้ว" in again.content.decode()


def test_english_readers_get_an_english_mail(client, smtp_backend, eager, make_user):
    make_user(email="jane@example.com", full_name="Jane", language="en")
    ask(client, "jane@example.com")
    relay_pending()
    (message,) = smtp_backend.to("jane@example.com")
    assert message["Subject"].strip() == "Choose a new password for Ruamkid"
    assert "Dear Jane," in text_of(message) and "The link works once, for 60 minutes." in text_of(message)


def test_an_unknown_or_inactive_address_gets_the_same_page_and_no_mail(client, make_user):
    make_user(email="gone@example.com", is_active=False)
    for email in ("nobody@example.com", "gone@example.com"):
        response = ask(client, email)
        assert response.status_code == 302 and response["Location"] == reverse("accounts:password_reset_done")
    assert not OutboxEvent.objects.exists()


class Earlier(ResetTokens):
    """Tokens made PASSWORD_RESET_TIMEOUT + 1 minute ago."""

    def _now(self):
        return super()._now() - dt.timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 60)


def confirm_url(user, token):
    uid = password_reset_path(user).split("/")[-3]
    return reverse("accounts:password_reset_confirm", kwargs={"uidb64": uid, "token": token})


def test_an_expired_link_is_refused_with_a_clear_message(client, resident):
    url = confirm_url(resident, Earlier().make_token(resident))
    response = client.get(url)
    assert response.status_code == 400 and response.context["expired"] is True
    html = response.content.decode()
    assert "ลิงก์นี้หมดอายุแล้ว ลิงก์ตั้งรหัสผ่านใหม่ใช้ได้ภายใน 60 นาทีเท่านั้น" in html
    assert reverse("accounts:password_reset") in html  # and the way to a new one
    assert client.post(url, {"new_password1": NEW, "new_password2": NEW}).status_code == 400
    resident.refresh_from_db()
    assert resident.check_password(PASSWORD)


@pytest.mark.parametrize("token", ["garbage", "abc-0123456789abcdef", "ก-ข", "zzzzzzzzzzzzzzzzzzzz-1"])
def test_a_bad_link_is_refused_with_a_400_not_a_500(client, resident, token):
    for url in (confirm_url(resident, token), f"/accounts/password/reset/%E0%B8%81/{token}/"):
        response = client.get(url)
        assert response.status_code == 400 and response.context["expired"] is False


def test_a_weak_new_password_is_refused_in_thai(client, resident):
    url = confirm_url(resident, ResetTokens().make_token(resident))
    form = client.get(url)
    response = client.post(form["Location"], {"new_password1": "12345678", "new_password2": "12345678"})
    assert response.status_code == 200
    assert "รหัสผ่านนี้เป็นตัวเลขล้วน" in response.content.decode()
    resident.refresh_from_db()
    assert resident.check_password(PASSWORD)


@requires_redis
@pytest.mark.redis
def test_reset_mails_are_limited_per_address_with_the_time_to_wait(client, resident):
    codes = [ask(client, resident.email).status_code for _ in range(settings.ACCOUNT_MAIL_LIMIT + 1)]
    assert codes == [302] * settings.ACCOUNT_MAIL_LIMIT + [429]
    refused = ask(client, resident.email)
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert "เราส่งอีเมลนี้ไปหลายครั้งแล้ว" in refused.content.decode() and "60 นาที" in refused.content.decode()
    assert OutboxEvent.objects.filter(event="account.password_reset").count() == settings.ACCOUNT_MAIL_LIMIT
    # An address nobody has counts the same, so a refusal tells nothing about who has an account.
    assert [ask(client, "nobody@example.com").status_code for _ in range(4)] == [302, 302, 302, 429]


@requires_redis
@pytest.mark.redis
def test_a_new_password_ends_a_sign_in_pause(client, resident):
    for _ in range(settings.LOGIN_LIMIT_ACCOUNT):
        client.post(reverse("accounts:login"), {"username": resident.email, "password": "nope"})
    set_password(client, settings.SITE_URL + confirm_url(resident, ResetTokens().make_token(resident)))
    client.post(reverse("accounts:logout"))
    assert client.post(reverse("accounts:login"), {"username": resident.email, "password": NEW}).status_code == 302


def test_the_sign_in_page_links_to_the_reset(client, db):
    assert reverse("accounts:password_reset") in client.get(reverse("accounts:login")).content.decode()
