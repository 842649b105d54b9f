"""Petition fixtures: a small policy, petitions in each state made through the services, and a
helper that signs and confirms the way a person does (the link comes from the outbox event)."""

import pytest
from django.core.cache import cache

from accounts.models import Role
from notifications.models import OutboxEvent
from petitions import services
from petitions.models import Petition, PetitionPolicy
from workflows.services import transition


def valid_national_id(n: int) -> str:
    """The n-th valid 13-digit national ID (check digit computed)."""
    base = f"{1100000000000 // 10 + n:012d}"[-12:]
    total = sum(int(base[i]) * (13 - i) for i in range(12))
    return base + str((11 - total % 11) % 10)


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()  # rate-limit windows and cached counts must not leak between tests
    yield
    cache.clear()


@pytest.fixture
def policy(org):
    return PetitionPolicy.objects.create(
        organisation=org,
        sponsors_required=2,
        response_threshold=3,
        council_threshold=5,
        ordinance_threshold=4,
        ip_limit=1000,
        petition_limit=100000,
    )


@pytest.fixture
def sponsors(make_user, org):
    return [make_user(Role.RESIDENT, org=org, email=f"sponsor{i}@example.com") for i in range(3)]


def make_petition(org, author, *, kind="general", title="ขอไฟส่องสว่างถนนหมู่ที่ 3", state="draft", sponsors=(), moderator=None):
    petition = services.petition_create(
        organisation=org, author=author, kind=kind, title=title, body="ถนนเปลี่ยวและมืด ขอให้ติดตั้งไฟส่องสว่าง 20 ต้น"
    )
    if state == "draft":
        return petition
    services.petition_request_sponsors(petition=petition, actor=author)
    if state == "collecting_sponsors":
        return Petition.objects.get(pk=petition.pk)
    for user in sponsors[: petition.sponsors_required]:
        services.sponsor_add(petition_id=petition.pk, user=user, token=petition.sponsor_token)
    petition = Petition.objects.get(pk=petition.pk)
    assert petition.state == "awaiting_moderation"
    if state == "awaiting_moderation":
        return petition
    petition = transition(petition, "open", actor=moderator)
    assert state == "open"
    return petition


@pytest.fixture
def open_petition(org, policy, resident, sponsors, moderator):
    return make_petition(org, resident, state="open", sponsors=sponsors, moderator=moderator)


@pytest.fixture
def open_ordinance(org, policy, resident, sponsors, moderator):
    return make_petition(
        org, resident, kind="ordinance", title="ร่างข้อบัญญัติการเก็บขยะมูลฝอย", state="open", sponsors=sponsors, moderator=moderator
    )


def last_confirm_token(email: str) -> str:
    event = OutboxEvent.objects.filter(event="signature.confirm_requested").order_by("-id")
    for row in event:
        if row.audience["emails"][0]["email"] == email:
            return row.data["confirm_url"].rstrip("/").rsplit("/", 1)[-1]
    raise AssertionError(f"no confirmation mail for {email}")


def sign(petition, n: int, *, village=1, national_id=None, ip="203.0.113.5", email=None):
    email = email or f"signer{n}@example.org"
    return services.signature_sign(
        petition_id=petition.pk,
        name=f"ผู้ลงชื่อ {n}",
        email=email,
        village_number=village,
        consent=True,
        national_id=national_id or (valid_national_id(n) if petition.kind == "ordinance" else ""),
        ip=ip,
    )


def sign_and_confirm(petition, n: int, **kwargs):
    signature, _ = sign(petition, n, **kwargs)
    return services.signature_confirm(token=last_confirm_token(signature.email))[0]


def filing_ready(petition, clerk):
    """What an ordinance initiative's filing needs before submission: its draft and a representative."""
    from petitions import filing

    filing.ordinance_details_set(petition=petition, actor=clerk, draft_ordinance="ร่างเทศบัญญัติ เรื่อง การจัดการขยะมูลฝอย")
    filing.representative_add(
        petition=petition, actor=clerk, name="ผู้แทนผู้เข้าชื่อ", village_number=1, declaration="รับรอง", declared_on="2025-06-01"
    )
