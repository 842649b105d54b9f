"""Sign-in on the page is paused against guessing, per account and per client address, with a
Thai message and the time to wait (accounts/limits.py). Counted in Redis on CI."""

import time

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from accounts.models import User
from tests.conftest import PASSWORD, requires_redis

pytestmark = [requires_redis, pytest.mark.redis]
LOGIN = reverse("accounts:login")
ACCOUNT_PAUSED = "ใส่รหัสผ่านผิดหลายครั้งเกินไปสำหรับบัญชีนี้"
NETWORK_PAUSED = "มีการใส่รหัสผ่านผิดจากเครือข่ายของคุณหลายครั้งเกินไป"


def sign_in(client, email, password, **extra):
    return client.post(LOGIN, {"username": email, "password": password}, **extra)


def wrong(client, email, times, **extra):
    return [sign_in(client, email, "not-my-password", **extra).status_code for _ in range(times)]


def test_it_is_redis(settings):
    assert settings.CACHES["default"]["BACKEND"].endswith("RedisCache")


def test_an_account_is_paused_after_five_wrong_passwords_with_a_thai_message_and_the_wait(client, resident, make_user):
    assert wrong(client, resident.email, 4) == [200] * 4
    fifth = sign_in(client, resident.email, "not-my-password")
    assert fifth.status_code == 429 and fifth["Retry-After"] == str(settings.LOGIN_LIMIT_SECONDS)
    html = fifth.content.decode()
    assert ACCOUNT_PAUSED in html and "15 นาที" in html
    # Even the right password waits: the guesser cannot tell when it found it.
    right = sign_in(client, resident.email, PASSWORD)
    assert right.status_code == 429 and "_auth_user_id" not in client.session
    assert 1 <= int(right["Retry-After"]) <= settings.LOGIN_LIMIT_SECONDS
    # Someone else on the same address signs in as usual.
    other = make_user(email="neighbour@example.com")
    assert sign_in(Client(), other.email, PASSWORD).status_code == 302


def test_the_address_is_paused_after_thirty_wrong_passwords_whoever_they_were_for(client, make_user):
    people = [make_user(email=f"p{i}@example.com") for i in range(settings.LOGIN_LIMIT_ADDRESS)]
    codes = [sign_in(client, person.email, "not-my-password").status_code for person in people]
    assert codes == [200] * (len(people) - 1) + [429]
    paused = sign_in(client, people[0].email, PASSWORD)
    assert paused.status_code == 429 and NETWORK_PAUSED in paused.content.decode()
    # The same people from another address are not paused: each account had one wrong password.
    assert sign_in(Client(REMOTE_ADDR="203.0.113.9"), people[0].email, PASSWORD).status_code == 302


def test_behind_the_proxy_each_forwarded_client_is_its_own_address(settings, make_user):
    settings.BEHIND_PROXY, settings.TRUSTED_PROXIES = True, ["127.0.0.1/32"]
    settings.LOGIN_LIMIT_ADDRESS = 3
    people = [make_user(email=f"p{i}@example.com") for i in range(3)]
    guesser = Client(HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert [sign_in(guesser, p.email, "nope").status_code for p in people] == [200, 200, 429]
    assert sign_in(Client(HTTP_X_FORWARDED_FOR="198.51.100.8"), people[0].email, PASSWORD).status_code == 302


def test_a_correct_password_clears_the_account_count(client, resident):
    assert wrong(client, resident.email, 4) == [200] * 4
    assert sign_in(client, resident.email, PASSWORD).status_code == 302
    client.post(reverse("accounts:logout"))
    assert wrong(client, resident.email, 4) == [200] * 4


def test_the_pause_ends(client, settings, resident):
    settings.LOGIN_LIMIT_SECONDS = 1
    assert wrong(client, resident.email, 5)[-1] == 429
    deadline = time.monotonic() + 10
    while sign_in(client, resident.email, PASSWORD).status_code == 429 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert "_auth_user_id" in client.session


def test_english_readers_get_english(client, resident):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = wrong(client, resident.email, 4) and sign_in(client, resident.email, "nope").content.decode()
    assert "Too many wrong passwords for this account" in html and "15 minutes" in html


def test_the_admin_sign_in_is_paused_too(client, make_user):
    staff = make_user(email="staff@example.com", is_staff=True)
    url = reverse("admin:login")
    for _ in range(settings.LOGIN_LIMIT_ACCOUNT):
        response = client.post(url, {"username": staff.email, "password": "nope"})
    assert ACCOUNT_PAUSED in response.content.decode()
    client.post(url, {"username": staff.email, "password": PASSWORD})
    assert "_auth_user_id" not in client.session


def test_without_the_cache_sign_in_still_works(client, settings, resident):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}}
    assert wrong(client, resident.email, 6) == [200] * 6
    assert sign_in(client, resident.email, PASSWORD).status_code == 302
    assert User.objects.get(pk=resident.pk).last_login is not None
