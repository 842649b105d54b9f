"""`manage.py seed_demo`: the Ban Song demo municipality, its villages and known demo accounts."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from accounts.models import Membership, Organisation, Role, User, Village
from config.management.commands import seed_demo

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def counts() -> tuple[int, ...]:
    return (Organisation.objects.count(), Village.objects.count(), User.objects.count(), Membership.objects.count())


def test_it_creates_the_ban_song_municipality_with_its_villages():
    seed()
    org = Organisation.objects.get(slug="ban-song")
    assert org.name == "เทศบาลตำบลบ้านซ่อง"
    assert org.name_en == "Ban Song Subdistrict Municipality"
    assert org.address == "229 หมู่ที่ 2 ตำบลบ้านซ่อง อำเภอพนมสารคาม จังหวัดฉะเชิงเทรา 24120"
    assert "038-520706" in org.phone
    assert org.email == "bansong2557@gmail.com"
    assert list(org.villages.values_list("number", flat=True)) == list(range(1, 11))


def test_it_creates_one_account_per_role_with_the_documented_password():
    output = seed()
    org = Organisation.objects.get(slug="ban-song")
    for email, role in [
        ("resident@example.com", Role.RESIDENT),
        ("moderator@example.com", Role.MODERATOR),
        ("clerk@example.com", Role.CLERK),
        ("admin@example.com", Role.ADMIN),
    ]:
        user = User.objects.get(email=email)
        assert user.check_password(seed_demo.DEMO_PASSWORD)
        assert user.email_confirmed
        assert Membership.objects.filter(user=user, organisation=org, role=role).exists()
        assert email in output
    superuser = User.objects.get(email="superuser@example.com")
    assert superuser.is_superuser and superuser.is_staff
    assert superuser.check_password(seed_demo.DEMO_PASSWORD)
    assert f"password for all: {seed_demo.DEMO_PASSWORD}" in output
    assert User.objects.get(email="resident@example.com").village.number == 2


def test_it_is_idempotent_and_restores_the_demo_passwords():
    seed()
    first = counts()
    resident = User.objects.get(email="resident@example.com")
    resident.set_password("changed-by-someone")
    resident.save(update_fields=["password"])
    seed()
    assert counts() == first
    resident.refresh_from_db()
    assert resident.check_password(seed_demo.DEMO_PASSWORD)


def test_it_skips_a_domain_seed_that_does_not_exist_yet(monkeypatch):
    monkeypatch.setattr(seed_demo, "DOMAIN_SEEDS", ("petitions.no_such_demo", "no_such_app.demo", "accounts.models"))
    output = seed()
    assert "petitions.no_such_demo.seed: not available, skipped" in output
    assert "no_such_app.demo.seed: not available, skipped" in output
    assert "accounts.models.seed: not available, skipped" in output  # module without seed()


def test_it_refuses_known_passwords_in_production():
    with override_settings(HTTPS=True), pytest.raises(CommandError, match="HTTPS=true"):
        seed()
    assert not User.objects.exists()
