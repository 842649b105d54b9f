"""`manage.py seed_demo`: the Thai demo municipality, its villages and demo accounts.

Modelled on the participation-measures page of เทศบาลตำบลบ้านซ่อง (Ban Song Subdistrict
Municipality, Phanom Sarakham, Chachoengsao); the facts are copied here so nothing reads
../shared at run time. Idempotent: running it again updates the same rows and resets the
demo passwords. Then each domain app seeds its own records through its own services
(`petitions.demo.seed(org, users)`, `consultations.demo.seed(org, users)`) when it has them.

Used by `make run` (Makefile) and documented in README.md#demo-accounts.
"""

import importlib

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accounts.models import Membership, Organisation, Role, User, Village

DEMO_PASSWORD = "ruamkid-demo"

ORGANISATION = {
    "slug": "ban-song",
    "name": "เทศบาลตำบลบ้านซ่อง",
    "name_en": "Ban Song Subdistrict Municipality",
    "address": "229 หมู่ที่ 2 ตำบลบ้านซ่อง อำเภอพนมสารคาม จังหวัดฉะเชิงเทรา 24120",
    "phone": "038-520706 (งานป้องกันฯ 038-520177)",
    "email": "bansong2557@gmail.com",
}
VILLAGES = range(1, 11)  # หมู่ที่ 1–10; the municipal office stands in หมู่ที่ 2

# (email, full name, role, village number, language). Residents live in different villages so
# participation-by-village summaries have something to show.
ACCOUNTS = [
    ("resident@example.com", "สมชาย ใจดี", Role.RESIDENT, 2, "th"),
    ("resident2@example.com", "สมหญิง รักถิ่น", Role.RESIDENT, 1, "th"),
    ("resident3@example.com", "ประยูร ทองดี", Role.RESIDENT, 3, "th"),
    ("resident4@example.com", "วันเพ็ญ ศรีสุข", Role.RESIDENT, 4, "th"),
    ("resident5@example.com", "บุญมี มั่นคง", Role.RESIDENT, 5, "th"),
    ("resident6@example.com", "Anna Smith", Role.RESIDENT, 6, "en"),
    ("moderator@example.com", "มานี มีสุข", Role.MODERATOR, None, "th"),
    ("clerk@example.com", "สมศรี ปลัดเทศบาล", Role.CLERK, None, "th"),
    ("admin@example.com", "ผู้ดูแลระบบ เทศบาล", Role.ADMIN, None, "th"),
    ("integrity@example.com", "ศักดิ์ชัย ซื่อตรง", Role.INTEGRITY, None, "th"),  # reads corruption reports only
]
SUPERUSER = ("superuser@example.com", "Django superuser")

DOMAIN_SEEDS = ("petitions.demo", "consultations.demo", "complaints.demo", "surveys.demo")


class Command(BaseCommand):
    help = "Create or refresh the Thai demo municipality (เทศบาลตำบลบ้านซ่อง), its villages and demo accounts."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="seed even in production (HTTPS=true): known passwords, be careful"
        )

    def handle(self, *args, force: bool = False, **options):
        if settings.HTTPS and not force:
            raise CommandError("refusing to create demo accounts with known passwords when HTTPS=true (use --force)")
        with transaction.atomic():
            org = self._organisation()
            users = self._accounts(org)
        for module_name in DOMAIN_SEEDS:
            self._domain_seed(module_name, org, users)
        self._print_accounts()

    def _organisation(self) -> Organisation:
        fields = {key: value for key, value in ORGANISATION.items() if key != "slug"}
        org, _ = Organisation.objects.update_or_create(slug=ORGANISATION["slug"], defaults=fields)
        for number in VILLAGES:
            Village.objects.get_or_create(organisation=org, number=number, defaults={"name": ""})
        return org

    def _accounts(self, org: Organisation) -> dict:
        now = timezone.now()
        villages = {v.number: v for v in org.villages.all()}
        users: dict = {"residents": []}
        for email, full_name, role, village, language in ACCOUNTS:
            user = _upsert_user(email, full_name, village=villages.get(village), language=language, confirmed_at=now)
            Membership.objects.get_or_create(user=user, organisation=org, role=role)
            if role == Role.RESIDENT:
                users["residents"].append(user)
                users.setdefault("resident", user)
            else:
                users[str(role)] = user
        email, full_name = SUPERUSER
        superuser = _upsert_user(email, full_name, village=None, language="en", confirmed_at=now)
        if not (superuser.is_staff and superuser.is_superuser):
            superuser.is_staff = superuser.is_superuser = True
            superuser.save(update_fields=["is_staff", "is_superuser"])
        users["superuser"] = superuser
        return users

    def _domain_seed(self, module_name: str, org: Organisation, users: dict) -> None:
        # Skip only when the module or its seed() does not exist yet; a broken import inside an
        # existing demo module is a bug and must surface.
        try:
            seed = importlib.import_module(module_name).seed
        except ModuleNotFoundError as exc:
            if not (exc.name and f"{module_name}.".startswith(f"{exc.name}.")):
                raise
            seed = None
        except AttributeError:
            seed = None
        if seed is None:
            self.stdout.write(f"  {module_name}.seed: not available, skipped")
            return
        seed(org, users)
        self.stdout.write(f"  {module_name}.seed: done")

    def _print_accounts(self) -> None:
        self.stdout.write(self.style.SUCCESS(f"Demo organisation: {ORGANISATION['name']} ({ORGANISATION['name_en']})"))
        self.stdout.write(f"Demo accounts (password for all: {DEMO_PASSWORD}):")
        for email, full_name, role, village, _language in ACCOUNTS:
            where = f", หมู่ที่ {village}" if village else ""
            self.stdout.write(f"  {role:<10} {email:<26} {full_name}{where}")
        self.stdout.write(f"  {'superuser':<10} {SUPERUSER[0]:<26} /admin/")


def _upsert_user(email: str, full_name: str, *, village, language: str, confirmed_at) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        return User.objects.create_user(
            email, DEMO_PASSWORD, full_name=full_name, village=village, language=language, email_confirmed_at=confirmed_at
        )
    user.full_name, user.village, user.language, user.is_active = full_name, village, language, True
    user.email_confirmed_at = user.email_confirmed_at or confirmed_at
    user.set_password(DEMO_PASSWORD)
    user.save(update_fields=["full_name", "village", "language", "is_active", "email_confirmed_at", "password"])
    return user
