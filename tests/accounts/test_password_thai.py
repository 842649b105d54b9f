"""Password-strength messages read in Thai on the Thai page: Django's Thai catalogue leaves its
validators untranslated, accounts/django_messages.py fills them in."""

import pytest
from django.conf import settings
from django.contrib.auth.password_validation import get_default_password_validators, validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from accounts.models import User

FORM = {"full_name": "สมศรี ใจงาม", "email": "somsri@example.com", "language": "th"}
THAI_ERRORS = [
    "รหัสผ่านนี้สั้นเกินไป ต้องมีอย่างน้อย 8 ตัวอักษร",
    "รหัสผ่านนี้มีคนใช้กันมาก จึงเดาได้ง่ายเกินไป",
    "รหัสผ่านนี้เป็นตัวเลขล้วน",
]
ENGLISH_ERRORS = [
    "This password is too short. It must contain at least 8 characters.",
    "This password is too common.",
    "This password is entirely numeric.",
]


def register(client, org, password: str):
    data = {**FORM, "organisation": org.pk, "password1": password, "password2": password}
    return client.post(reverse("accounts:register"), data)


def test_a_weak_password_on_the_thai_page_is_refused_in_thai(client, org):
    response = register(client, org, "1234")
    assert response.status_code == 200
    html = response.content.decode()
    for thai in THAI_ERRORS:
        assert thai in html
    for english in ENGLISH_ERRORS:
        assert english not in html
    assert "รหัสผ่านต้องมีอย่างน้อย 8 ตัวอักษร" in html  # the help text too
    assert not User.objects.exists()


def test_a_password_like_the_email_is_refused_in_thai(client, org):
    html = register(client, org, "somsri@example.com").content.decode()
    assert "รหัสผ่านคล้ายกับอีเมลมากเกินไป" in html


def test_the_english_page_keeps_english(client, org):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = register(client, org, "1234").content.decode()
    for english in ENGLISH_ERRORS:
        assert english in html


@pytest.mark.parametrize("password", ["1234", "12345678", "password", "somsri@example.com"])
def test_every_message_of_every_configured_validator_has_thai(db, password):
    user = User(email="somsri@example.com", full_name="สมศรี ใจงาม")
    with translation.override("th"):
        with pytest.raises(ValidationError) as caught:
            validate_password(password, user)
        thai = caught.value.messages
        helps = [v.get_help_text() for v in get_default_password_validators()]
    with translation.override("en"):
        with pytest.raises(ValidationError) as caught:
            validate_password(password, user)
        english = caught.value.messages
        helps_en = [v.get_help_text() for v in get_default_password_validators()]
    assert len(thai) == len(english) and not set(thai) & set(english)
    assert not set(helps) & set(helps_en)
