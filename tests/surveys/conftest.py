"""Helpers for survey tests: a survey with one question of each kind, in any state."""

import datetime as dt

import pytest
from django.utils import timezone

from surveys import services
from surveys.models import Kind, State, Survey


def force_state(s: Survey, state: str, **fields) -> Survey:
    """Tests only: put a survey in a state without walking the machine (the field is protected)."""
    Survey.objects.filter(pk=s.pk).update(state=state, **fields)
    return Survey.objects.get(pk=s.pk)


@pytest.fixture
def make_survey(org, moderator):
    def make(state=State.DRAFT, *, allow_anonymous=False, device_limit=1, questions=True) -> Survey:
        s = services.survey_create(
            organisation=org, actor=moderator, title="ความพึงพอใจงานทะเบียนราษฎร", subject="service",
            service_name="งานทะเบียนราษฎร", closes_at=timezone.now() + dt.timedelta(days=14),
            allow_anonymous=allow_anonymous, device_limit=device_limit,
        )  # fmt: skip
        if questions:
            services.question_add(survey=s, actor=moderator, kind=Kind.SINGLE, text="มาติดต่อเรื่องใด", choices=["ย้ายเข้า", "ทำบัตร"])
            services.question_add(
                survey=s, actor=moderator, kind=Kind.MULTIPLE, text="รู้จากช่องทางใด", choices=["เว็บไซต์", "LINE", "เสียงตามสาย"],
                required=False,
            )  # fmt: skip
            services.question_add(survey=s, actor=moderator, kind=Kind.RATING, text="พอใจเพียงใด")
            services.question_add(survey=s, actor=moderator, kind=Kind.TEXT, text="ข้อเสนอแนะ", required=False)
        if state != State.DRAFT:
            s = force_state(s, state, opens_at=timezone.now() - dt.timedelta(hours=1))
        return s

    return make


def answers_for(s: Survey, *, rating=5, text="") -> dict:
    single, multiple, rate, free = list(s.questions.order_by("order"))[:4]
    return {
        str(single.pk): single.choices.first().pk,
        str(multiple.pk): [c.pk for c in multiple.choices.all()[:2]],
        str(rate.pk): rating,
        str(free.pk): text,
    }


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    from django.core.cache import cache

    cache.clear()
