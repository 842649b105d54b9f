"""Every write of the surveys app.

survey_create / question_add / survey_from_template    staff, while the survey is a draft
survey_move                                             staff, through the one transition service
response_submit                                         residents (once per account) or devices
answer_moderate                                         moderators publish or hide a text answer (audited)
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.thai import keyed_hash
from workflows.errors import Conflict, NotFound, PermissionDenied, RateLimited, TransitionNotAllowed, ValidationFailed
from workflows.models import AuditEntry
from workflows.ratelimit import hit
from workflows.services import audit_append, deadline_cancel, deadline_schedule, transition
from workflows.validation import clean_text

from . import rules
from .models import Answer, Choice, Kind, Question, Response, State, Subject, Survey, TextState
from .templates_data import TEMPLATES

MAX_TEXT = 1000
MAX_CHOICES = 20
ANONYMOUS_LIMIT, ANONYMOUS_WINDOW = 30, 3600  # answers without an account per address and hour


def _require_staff(organisation_id, actor) -> None:
    from accounts.selectors import is_staff_of

    if actor is None:  # the operator's command line (manage.py survey_template)
        return
    if not is_staff_of(actor, organisation_id):
        raise PermissionDenied(_("Only staff of the municipality build surveys."))


def _require_draft(survey: Survey) -> None:
    if survey.state != State.DRAFT:
        raise TransitionNotAllowed(_("A survey's questions cannot change once it is open."), details={"state": survey.state})


def survey_create(
    *,
    organisation,
    actor,
    title: str,
    description: str = "",
    subject: str = Subject.MUNICIPALITY,
    service_name: str = "",
    consultation=None,
    opens_at: dt.datetime | None = None,
    closes_at: dt.datetime | None = None,
    allow_anonymous: bool = False,
    device_limit: int = 1,
    template_key: str = "",
) -> Survey:
    _require_staff(organisation.pk, actor)
    errors: dict = {}
    if subject not in Subject.values:
        errors["subject"] = [_("Choose what the survey is about.")]
    if subject == Subject.SERVICE and not str(service_name or "").strip():
        errors["service_name"] = [_("Name the service.")]
    if subject == Subject.CONSULTATION and consultation is None:
        errors["consultation"] = [_("Choose the consultation.")]
    if consultation is not None and consultation.organisation_id != organisation.pk:
        errors["consultation"] = [_("Choose a consultation of this municipality.")]
    if opens_at and closes_at and closes_at <= opens_at:
        errors["closes_at"] = [_("The end must come after the start.")]
    if not 1 <= int(device_limit or 0) <= 100:
        errors["device_limit"] = [_("Between 1 and 100.")]
    if errors:
        raise ValidationFailed(details=errors)
    return Survey.objects.create(
        organisation=organisation, title=clean_text(title, "title", max_length=200),
        description=clean_text(description, "description", max_length=4000, required=False), subject=subject,
        service_name=clean_text(service_name, "service_name", max_length=200, required=False),
        consultation=consultation if subject == Subject.CONSULTATION else None, opens_at=opens_at, closes_at=closes_at,
        allow_anonymous=bool(allow_anonymous), device_limit=int(device_limit), template_key=template_key,
        created_by=actor,
    )  # fmt: skip


def question_add(*, survey: Survey, actor, kind: str, text: str, choices=(), required: bool = True) -> Question:
    _require_staff(survey.organisation_id, actor)
    _require_draft(survey)
    if kind not in Kind.values:
        raise ValidationFailed(details={"kind": [_("Choose the kind of question.")]})
    text = clean_text(text, "text", max_length=300)
    options = [str(c).strip() for c in choices or () if str(c).strip()]
    if kind in (Kind.SINGLE, Kind.MULTIPLE):
        if not 2 <= len(options) <= MAX_CHOICES:
            raise ValidationFailed(details={"choices": [_("Give between 2 and %(n)d choices, one a line.") % {"n": MAX_CHOICES}]})
        if any(len(o) > 200 for o in options):
            raise ValidationFailed(details={"choices": [_("At most %(n)d characters.") % {"n": 200}]})
    elif options:
        raise ValidationFailed(details={"choices": [_("Only choice questions have choices.")]})
    with transaction.atomic():
        order = survey.questions.count()
        question = Question.objects.create(survey=survey, order=order, kind=kind, text=text, required=bool(required))
        Choice.objects.bulk_create([Choice(question=question, order=i, text=o) for i, o in enumerate(options)])
    return question


def survey_from_template(*, organisation, actor, key: str = "satisfaction", closes_at=None) -> Survey:
    """A draft survey with the standard questions; staff check it, set its period and open it."""
    spec = TEMPLATES.get(key)
    if spec is None:
        raise NotFound(_("There is no such survey template."))
    with transaction.atomic():
        survey = survey_create(
            organisation=organisation, actor=actor, title=spec["title"], description=spec["description"],
            closes_at=closes_at, allow_anonymous=True, template_key=key,
        )  # fmt: skip
        for kind, text, required, choices in spec["questions"]:
            question_add(survey=survey, actor=actor, kind=kind, text=text, choices=choices, required=required)
    return survey


def survey_move(*, survey: Survey, actor, name: str, reason: str = "") -> Survey:
    return transition(survey, name, actor=actor, reason=reason)


def survey_on_move(survey: Survey, move) -> list[dict]:
    """The machine's hook: keep the closing deadline in step with the state. No messages."""
    if move.target == State.OPEN and survey.closes_at:
        deadline_schedule(survey, transition="close", due_at=survey.closes_at)
    elif move.target == State.CLOSED and not (move.payload or {}).get("deadline"):
        deadline_cancel(survey, transition="close")
    return []


# --- answering ----------------------------------------------------------------------------------


def device_hash(token: str) -> str:
    return keyed_hash(token, purpose="survey-device")[:64] if token else ""


def _clean_answers(survey: Survey, raw: dict) -> list[Answer]:
    """One Answer per given choice / rating / text; ValidationFailed naming each bad question."""
    questions = list(survey.questions.prefetch_related("choices"))
    raw = {str(k): v for k, v in (raw or {}).items()}
    unknown = set(raw) - {str(q.pk) for q in questions}
    errors: dict = {key: [_("Not a question of this survey.")] for key in unknown}
    answers: list[Answer] = []
    for q in questions:
        value = raw.get(str(q.pk))
        values = [v for v in (value if isinstance(value, list | tuple) else [value]) if v not in (None, "")]
        if not values:
            if q.required:
                errors[str(q.pk)] = [_("Please answer this question.")]
            continue
        choice_ids = {str(c.pk): c for c in q.choices.all()}
        if q.kind in (Kind.SINGLE, Kind.MULTIPLE):
            picked = [choice_ids.get(str(v)) for v in values]
            if None in picked or (q.kind == Kind.SINGLE and len(picked) != 1) or len(set(picked)) != len(picked):
                errors[str(q.pk)] = [
                    _("Choose one of the offered answers.") if q.kind == Kind.SINGLE else _("Choose among the offered answers.")
                ]
                continue
            answers += [Answer(question=q, choice=c) for c in picked]
        elif q.kind == Kind.RATING:
            text = str(values[0])
            if len(values) != 1 or text not in {"1", "2", "3", "4", "5"}:
                errors[str(q.pk)] = [_("Give a rating from 1 to 5.")]
                continue
            answers.append(Answer(question=q, rating=int(text)))
        else:
            text = str(values[0]).strip()
            if len(text) > MAX_TEXT:
                errors[str(q.pk)] = [_("At most %(n)d characters.") % {"n": MAX_TEXT}]
                continue
            if text:
                answers.append(Answer(question=q, text=text, text_state=TextState.PENDING))
            elif q.required:
                errors[str(q.pk)] = [_("Please answer this question.")]
    if errors:
        raise ValidationFailed(_("Some answers are missing or not valid."), details=errors)
    return answers


def response_submit(*, survey: Survey, actor, answers: dict, device_token: str = "", client_ip: str = "") -> Response:
    """Record one person's answers. A signed-in person answers once; without an account only
    where the survey allows it, at most `device_limit` times per device (a cookie: a soft limit,
    backed by a per-address limit). All or nothing."""
    signed_in = bool(getattr(actor, "is_authenticated", False))
    if not survey.accepting:
        raise TransitionNotAllowed(
            _("This survey is not open for answers."), code="survey_closed", details={"state": survey.state}
        )
    if not signed_in and not survey.allow_anonymous:
        raise PermissionDenied(_("Sign in to answer this survey."), code="not_authenticated")
    device = device_hash(device_token)
    if not signed_in and not device:
        raise ValidationFailed(_("Your browser did not keep our cookie; allow cookies and try again."), code="no_device")
    cleaned = _clean_answers(survey, answers)
    if not signed_in and client_ip:
        try:
            over = hit(f"surveys:ip:{survey.pk}:{keyed_hash(client_ip, purpose='ip')[:32]}", ANONYMOUS_WINDOW) > ANONYMOUS_LIMIT
        except Exception:  # the cache is down: the device limit still holds
            over = False
        if over:
            raise RateLimited(details={"retry_after_seconds": ANONYMOUS_WINDOW})
    try:
        with transaction.atomic():
            locked = Survey.objects.select_for_update().get(pk=survey.pk)  # one answer at a time per survey and device
            if signed_in and Response.objects.filter(survey=locked, user=actor).exists():
                raise Conflict(_("You have already answered this survey."), code="already_answered")
            if not signed_in and Response.objects.filter(survey=locked, device=device).count() >= locked.device_limit:
                raise Conflict(_("This device has already answered this survey."), code="already_answered")
            response = Response.objects.create(survey=locked, user=actor if signed_in else None, device=device)
            for a in cleaned:
                a.response = response
            Answer.objects.bulk_create(cleaned)
    except IntegrityError:  # the same account twice at once: the constraint decides
        raise Conflict(_("You have already answered this survey."), code="already_answered") from None
    return response


def answer_moderate(*, answer: Answer, actor, publish: bool) -> Answer:
    """Publish or hide one text answer (moderators and admins; audited)."""
    survey = answer.question.survey
    if not rules.is_moderator(survey, actor):
        raise PermissionDenied()
    if not answer.text:
        raise ValidationFailed(_("Only text answers are moderated."))
    state = TextState.PUBLISHED if publish else TextState.HIDDEN
    with transaction.atomic():
        before = answer.text_state
        Answer.objects.filter(pk=answer.pk).update(text_state=state)
        audit_append(
            action=AuditEntry.Action.MODERATION, name="survey_answer_publish" if publish else "survey_answer_hide",
            actor=actor, record_type="surveys.answer", record_id=answer.pk, organisation_id=survey.organisation_id,
            from_state=before, to_state=state,
        )  # fmt: skip
    answer.text_state = state
    return answer


def closes_default() -> dt.datetime:
    return timezone.now() + dt.timedelta(days=30)
