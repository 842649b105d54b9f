"""A demo satisfaction survey, open, with a few answers (`manage.py seed_demo`). Idempotent."""

from __future__ import annotations

from workflows.services import transition

from . import services
from .models import Kind, Survey


def seed(org, users: dict) -> None:
    if Survey.objects.filter(organisation=org).exists():
        return
    staff = users.get("moderator")
    survey = services.survey_from_template(organisation=org, actor=staff, closes_at=services.closes_default())
    survey = transition(survey, "open", actor=staff)
    questions = list(survey.questions.order_by("order"))
    for i, person in enumerate(users.get("residents", [])[:4]):
        answers = {}
        for q in questions:
            if q.kind == Kind.RATING:
                answers[str(q.pk)] = 5 - (i % 2)
            elif q.kind == Kind.SINGLE:
                answers[str(q.pk)] = q.choices.all()[i % 3].pk
        services.response_submit(survey=survey, actor=person, answers=answers)
