"""Reads of the surveys app shared by the API and the pages: the surveys a person may see, the
results (counts per choice, rating distribution and mean, published text answers only) and the
satisfaction results per Thai fiscal year (ITA evidence)."""

from __future__ import annotations

from collections import Counter, defaultdict

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from accounts.models import STAFF_ROLES, Membership
from accounts.thai import fiscal_year
from workflows.errors import NotFound

from . import rules
from .models import Answer, Kind, Response, State, Survey, TextState


def surveys_for(user) -> QuerySet:
    """Open and closed surveys for everyone; drafts too for staff of their organisation."""
    staff_orgs = []
    if getattr(user, "is_authenticated", False):
        staff_orgs = list(Membership.objects.filter(user=user, role__in=STAFF_ROLES).values_list("organisation_id", flat=True))
    return Survey.objects.filter(Q(state__in=[State.OPEN, State.CLOSED]) | Q(organisation_id__in=staff_orgs))


def survey_get(pk, user) -> Survey:
    survey = Survey.objects.select_related("organisation", "consultation").filter(pk=pk).first()
    if survey is None or not rules.can_see(survey, user):
        raise NotFound()
    return survey


def consultations_of(organisation) -> QuerySet:
    """What a survey may be attached to (by the registry of apps: surveys never import consultations)."""
    from django.apps import apps

    return apps.get_model("consultations", "Consultation").objects.filter(organisation=organisation).exclude(state="draft")


def questions_of(survey: Survey) -> list:
    return list(survey.questions.prefetch_related("choices"))


def has_answered(survey: Survey, user, device: str = "") -> bool:
    if getattr(user, "is_authenticated", False):
        return Response.objects.filter(survey=survey, user=user).exists()
    return bool(device) and Response.objects.filter(survey=survey, device=device).count() >= survey.device_limit


def _percent(n: int, of: int) -> int:
    return round(100 * n / of) if of else 0


def results(survey: Survey, *, moderator: bool = False) -> dict:
    """Aggregates per question. Text answers: the published ones (a moderator also sees how many wait)."""
    questions = questions_of(survey)
    total = Response.objects.filter(survey=survey).count()
    picks = Counter(Answer.objects.filter(question__survey=survey, choice__isnull=False).values_list("choice_id", flat=True))
    ratings: dict[int, Counter] = defaultdict(Counter)
    for question_id, rating in Answer.objects.filter(question__survey=survey, rating__isnull=False).values_list(
        "question_id", "rating"
    ):
        ratings[question_id][rating] += 1
    texts: dict[int, list[str]] = defaultdict(list)
    pending: Counter = Counter()
    for question_id, text, state in (
        Answer.objects.filter(question__survey=survey).exclude(text="").values_list("question_id", "text", "text_state")
    ):
        if state == TextState.PUBLISHED:
            texts[question_id].append(text)
        elif state == TextState.PENDING:
            pending[question_id] += 1
    out = []
    for q in questions:
        row = {"id": q.pk, "kind": q.kind, "text": q.text}
        if q.kind in (Kind.SINGLE, Kind.MULTIPLE):
            answered = Answer.objects.filter(question=q).values("response_id").distinct().count()
            row["answered"] = answered
            row["choices"] = [
                {"id": c.pk, "text": c.text, "count": picks[c.pk], "percent": _percent(picks[c.pk], answered)}
                for c in q.choices.all()
            ]
        elif q.kind == Kind.RATING:
            dist = ratings[q.pk]
            n = sum(dist.values())
            row["answered"] = n
            row["mean"] = round(sum(k * v for k, v in dist.items()) / n, 2) if n else None
            row["ratings"] = [{"rating": k, "count": dist[k], "percent": _percent(dist[k], n)} for k in range(1, 6)]
        else:
            row["texts"] = texts[q.pk]
            row["answered"] = len(texts[q.pk]) + pending[q.pk]
            if moderator:
                row["pending"] = pending[q.pk]
        out.append(row)
    return {"survey": survey.pk, "title": survey.title, "state": survey.state, "responses": total, "questions": out}


def results_rows(res: dict) -> list[list]:
    rows = [["question_id", "question", "kind", "answer", "count", "percent", "mean"]]
    for q in res["questions"]:
        if "choices" in q:
            rows += [[q["id"], q["text"], q["kind"], c["text"], c["count"], c["percent"], ""] for c in q["choices"]]
        elif "ratings" in q:
            rows += [[q["id"], q["text"], q["kind"], r["rating"], r["count"], r["percent"], q["mean"]] for r in q["ratings"]]
        else:
            rows += [[q["id"], q["text"], q["kind"], t, 1, "", ""] for t in q["texts"]]
    rows.append(["", _("Responses"), "", "", res["responses"], "", ""])
    return rows


def pending_texts(survey: Survey) -> QuerySet:
    return Answer.objects.filter(question__survey=survey, text_state=TextState.PENDING).select_related("question").order_by("id")


def satisfaction_by_fiscal_year(organisation) -> list[dict]:
    """For the standard satisfaction surveys: per Thai fiscal year of the answers, the number of
    responses and the mean of every 1–5 rating (and in percent of the best score), the figure an
    ITA evidence report quotes."""
    by_year: dict[int, dict] = defaultdict(lambda: {"responses": set(), "sum": 0, "n": 0})
    rows = Answer.objects.filter(
        question__survey__organisation=organisation, question__survey__template_key="satisfaction", rating__isnull=False
    ).values_list("response_id", "response__created_at", "rating")
    for response_id, created, rating in rows:
        year = by_year[fiscal_year(created)]
        year["responses"].add(response_id)
        year["sum"] += rating
        year["n"] += 1
    return [
        {
            "fiscal_year": fy,
            "responses": len(y["responses"]),
            "mean": round(y["sum"] / y["n"], 2),
            "percent": round(100 * y["sum"] / (5 * y["n"]), 1),
        }
        for fy, y in sorted(by_year.items(), reverse=True)
    ]
