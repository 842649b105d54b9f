"""Helpers for consultation tests: a consultation at any level, put in any stage."""

import datetime as dt

import pytest
from django.utils import timezone

from accounts.models import Role
from consultations import services
from consultations.models import Alternative, Consultation, Problem, Stage, State, Visibility, stages_for_level


def schedule_for(level: str, *, start=None, total_days: int = 16) -> dict:
    """A contiguous schedule for the stages `level` visits, `total_days` shared evenly."""
    start = start or timezone.now()
    stages, at = {}, start
    names = stages_for_level(level)
    for name in names:
        length = total_days / len(names)
        stages[name] = (at, at + dt.timedelta(days=length))
        at += dt.timedelta(days=length)
    return stages


def force_state(c: Consultation, state: str) -> Consultation:
    """Tests only: put a consultation in a stage without walking the machine (protected field)."""
    Consultation.objects.filter(pk=c.pk).update(state=state)
    return Consultation.objects.get(pk=c.pk)


def end_current_stage(c: Consultation) -> None:
    """Tests only: make the current stage's scheduled end lie in the past (shift the whole schedule)."""
    stage = Stage.objects.filter(consultation=c, name=c.state).first()
    if stage is None:
        return
    shift = stage.ends_at - timezone.now() + dt.timedelta(seconds=1)
    for s in Stage.objects.filter(consultation=c):
        Stage.objects.filter(pk=s.pk).update(starts_at=s.starts_at - shift, ends_at=s.ends_at - shift)


@pytest.fixture
def make_consultation(org, moderator):
    def make(level="collaborate", state=State.DRAFT, *, schedule=True, **fields) -> Consultation:
        c = services.consultation_create(
            organisation=org, actor=moderator, title=fields.pop("title", "แผนพัฒนาท้องถิ่น"), level=level, **fields
        )
        if schedule:
            services.consultation_schedule_set(consultation=c, actor=moderator, stages=schedule_for(level))
        if state != State.DRAFT:
            c = force_state(c, state)
        return c

    return make


@pytest.fixture
def residents(make_user, org):
    villages = list(org.villages.all())
    return [make_user(Role.RESIDENT, org=org, village=villages[i % len(villages)], full_name=f"ชาวบ้าน {i}") for i in range(3)]


def add_problem(c, author, title="ถนนชำรุด", visibility=Visibility.PUBLISHED) -> Problem:
    return Problem.objects.create(
        consultation=c, author=author, village_id=author.village_id, title=title, body="", visibility=visibility
    )


def add_alternative(c, author=None, title="สร้างถนนคอนกรีต", by_staff=True) -> Alternative:
    return Alternative.objects.create(consultation=c, author=author, title=title, body="", by_staff=by_staff)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Hashing a password the slow, safe way five times a test would dominate the role × stage × level table."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
