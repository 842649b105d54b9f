"""Pages of the surveys app: the list (with the yearly satisfaction results), a survey to answer,
its results with bars and CSV, and the staff's builder, moves and text moderation."""

from __future__ import annotations

import secrets

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.selectors import default_organisation, staff_organisations
from workflows.errors import ApplicationError, NotFound
from workflows.services import available_transitions
from workflows.validation import parse_local_datetime

from . import api, rules, selectors, services
from .forms import ModerationForm
from .models import Answer, Kind, Subject

DEVICE_COOKIE = api.DEVICE_COOKIE


def _survey(request, pk):
    try:
        return selectors.survey_get(pk, request.user)
    except NotFound:
        raise Http404 from None


def _error(request, exc: ApplicationError) -> None:
    details = exc.details if isinstance(exc.details, dict) else {}
    extra = [str(v[0]) for k, v in details.items() if isinstance(v, list) and v and k != "conditions"]
    messages.error(request, " ".join([str(exc.message), *extra[:3]]))


def _device(request) -> str:
    return request.COOKIES.get(DEVICE_COOKIE, "")


def survey_list(request):
    organisation = default_organisation()
    surveys = list(selectors.surveys_for(request.user).select_related("organisation")[:100])
    return render(
        request,
        "surveys/list.html",
        {
            "surveys": surveys,
            "satisfaction": selectors.satisfaction_by_fiscal_year(organisation) if organisation else [],
            "can_build": bool(staff_organisations(request.user)),
        },
    )


@login_required
def survey_new(request):
    orgs = staff_organisations(request.user)
    if not orgs:
        raise Http404
    organisation = orgs[0]
    consultations = list(selectors.consultations_of(organisation))
    if request.method == "POST":
        post = request.POST
        try:
            if post.get("template"):
                survey = services.survey_from_template(
                    organisation=organisation, actor=request.user, key=post["template"], closes_at=services.closes_default()
                )
            else:
                survey = services.survey_create(
                    organisation=organisation, actor=request.user, title=post.get("title", ""),
                    description=post.get("description", ""), subject=post.get("subject", Subject.MUNICIPALITY),
                    service_name=post.get("service_name", ""),
                    consultation=next((c for c in consultations if str(c.pk) == post.get("consultation")), None),
                    closes_at=parse_local_datetime(post.get("closes_at", "")),
                    allow_anonymous=post.get("allow_anonymous") == "on",
                )  # fmt: skip
        except ApplicationError as exc:
            _error(request, exc)
        else:
            messages.success(request, _("Survey created. Add its questions, then open it."))
            return redirect("surveys:detail", survey.pk)
    return render(request, "surveys/new.html", {"subjects": Subject.choices, "consultations": consultations})


def survey_detail(request, pk: int):
    survey = _survey(request, pk)
    staff = rules.is_staff(survey, request.user)
    device = services.device_hash(_device(request))
    answered = selectors.has_answered(survey, request.user, device)
    may_answer = survey.accepting and not answered and (request.user.is_authenticated or survey.allow_anonymous)
    context = {
        "survey": survey,
        "questions": selectors.questions_of(survey),
        "staff": staff,
        "answered": answered,
        "may_answer": may_answer,
        "needs_sign_in": survey.accepting and not request.user.is_authenticated and not survey.allow_anonymous,
        "moves": {m["name"]: m for m in available_transitions(survey, request.user)} if staff else {},
        "kinds": Kind.choices,
        "ratings": range(1, 6),
    }
    response = render(request, "surveys/detail.html", context)
    if survey.allow_anonymous and not _device(request):
        # The per-device limit of answers without an account (a soft limit: see services.response_submit).
        response.set_cookie(
            DEVICE_COOKIE, secrets.token_urlsafe(24), max_age=2 * 365 * 86400, httponly=True, samesite="Lax",
            secure=request.is_secure(),
        )  # fmt: skip
    return response


@require_POST
def survey_answer(request, pk: int):
    survey = _survey(request, pk)
    answers = {}
    for q in survey.questions.all():
        key = f"q{q.pk}"
        answers[str(q.pk)] = request.POST.getlist(key) if q.kind == Kind.MULTIPLE else request.POST.get(key, "")
    try:
        services.response_submit(
            survey=survey, actor=request.user, answers=answers, device_token=_device(request),
            client_ip=request.META.get("REMOTE_ADDR", ""),
        )  # fmt: skip
    except ApplicationError as exc:
        _error(request, exc)
    else:
        messages.success(request, _("Thank you. Your answers are recorded."))
    return redirect("surveys:detail", survey.pk)


@login_required
@require_POST
def question_add(request, pk: int):
    survey = _survey(request, pk)
    try:
        services.question_add(
            survey=survey, actor=request.user, kind=request.POST.get("kind", ""), text=request.POST.get("text", ""),
            choices=request.POST.get("choices", "").splitlines(), required=request.POST.get("required") == "on",
        )  # fmt: skip
    except ApplicationError as exc:
        _error(request, exc)
    else:
        messages.success(request, _("Question added."))
    return redirect(reverse("surveys:detail", args=[survey.pk]) + "#build")


@login_required
@require_POST
def survey_move(request, pk: int):
    survey = _survey(request, pk)
    try:
        survey = services.survey_move(
            survey=survey, actor=request.user, name=request.POST.get("name", ""), reason=request.POST.get("reason", "")
        )
    except ApplicationError as exc:
        _error(request, exc)
    else:
        messages.success(request, _("Done: the survey is now “%(state)s”.") % {"state": survey.get_state_display()})
    return redirect("surveys:detail", pk)


def results(request, pk: int):
    survey = _survey(request, pk)
    moderator = rules.is_moderator(survey, request.user)
    return render(
        request,
        "surveys/results.html",
        {"survey": survey, "results": selectors.results(survey, moderator=moderator), "moderator": moderator},
    )


def results_csv(request, pk: int):
    return api.results_csv(request, pk)


@login_required
def moderation(request, pk: int):
    survey = _survey(request, pk)
    if not rules.is_moderator(survey, request.user):
        raise Http404
    if request.method == "POST":
        form = ModerationForm(request.POST)
        answer = form.is_valid() and Answer.objects.filter(pk=form.cleaned_data["answer"], question__survey=survey).first()
        if not answer:
            raise Http404
        try:
            services.answer_moderate(answer=answer, actor=request.user, publish=form.cleaned_data["publish"] == "1")
        except ApplicationError as exc:
            _error(request, exc)
        return redirect("surveys:moderation", survey.pk)
    return render(request, "surveys/moderation.html", {"survey": survey, "pending": selectors.pending_texts(survey)})
