"""Surveys (แบบสอบถาม): staff build one (single and multiple choice, 1–5 rating, short text),
attach it to a service, a consultation or the municipality as a whole, and open it for a period.

A Survey moves draft → open → closed through workflows.services.transition (closing on time is
the system's move, by deadline; before the end only `close_early`, with a reason). Residents answer
once per account, or, where the survey allows it, without an account up to `device_limit` times
per device. Text answers are shown only after a moderator publishes them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from workflows.models import WorkflowRecord

from . import rules


class State(models.TextChoices):
    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Open for answers")
    CLOSED = "closed", _("Closed")


class Subject(models.TextChoices):
    MUNICIPALITY = "municipality", _("The municipality as a whole")
    SERVICE = "service", _("A service")
    CONSULTATION = "consultation", _("A consultation")


class Kind(models.TextChoices):
    SINGLE = "single", _("Single choice")
    MULTIPLE = "multiple", _("Multiple choice")
    RATING = "rating", _("Rating from 1 to 5")
    TEXT = "text", _("Short text")


class TextState(models.TextChoices):
    PENDING = "pending", _("Waiting for moderation")
    PUBLISHED = "published", _("Published")
    HIDDEN = "hidden", _("Not published")


class Survey(WorkflowRecord):
    title = models.CharField(_("survey title"), max_length=200)
    description = models.TextField(_("description"), blank=True, max_length=4000)
    subject = models.CharField(_("about"), max_length=20, choices=Subject.choices, default=Subject.MUNICIPALITY)
    service_name = models.CharField(_("service"), max_length=200, blank=True)
    consultation = models.ForeignKey(
        "consultations.Consultation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("consultation"),
    )  # fmt: skip
    opens_at = models.DateTimeField(_("opens"), null=True, blank=True)
    closes_at = models.DateTimeField(_("closes"), null=True, blank=True)
    allow_anonymous = models.BooleanField(_("people without an account may answer"), default=False)
    device_limit = models.PositiveSmallIntegerField(_("answers per device without an account"), default=1)
    template_key = models.CharField(max_length=40, blank=True, editable=False)  # "satisfaction": the standard survey
    state = FSMField(default=State.DRAFT, choices=State.choices, protected=True, db_index=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return f"/surveys/{self.pk}/"

    @property
    def accepting(self) -> bool:
        now = timezone.now()
        return (
            self.state == State.OPEN
            and (self.opens_at is None or self.opens_at <= now)
            and (self.closes_at is None or now < self.closes_at)
        )

    @transition(
        field=state, source=State.DRAFT, target=State.OPEN, conditions=[rules.has_questions, rules.closes_in_future],
        permission=rules.is_staff, custom={"label": _("Open for answers"), "clean_payload": rules.clean_nothing},
    )  # fmt: skip
    def open(self, *, actor=None, reason="", payload=None):
        if self.opens_at is None or self.opens_at > timezone.now():
            self.opens_at = timezone.now()

    @transition(
        field=state, source=State.OPEN, target=State.CLOSED, conditions=[rules.period_ended], permission=rules.is_staff,
        custom={"label": _("Close the survey"), "clean_payload": rules.clean_nothing},
    )  # fmt: skip
    def close(self, *, actor=None, reason="", payload=None):
        pass

    @transition(
        field=state, source=State.OPEN, target=State.CLOSED, conditions=[rules.period_running], permission=rules.is_staff,
        custom={"label": _("Close early"), "reason_required": True, "clean_payload": rules.clean_nothing},
    )  # fmt: skip
    def close_early(self, *, actor=None, reason="", payload=None):
        self.closes_at = timezone.now()


class Question(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    order = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    text = models.CharField(_("question"), max_length=300)
    required = models.BooleanField(_("an answer is required"), default=True)

    class Meta:
        ordering = ["survey", "order", "id"]

    def __str__(self) -> str:
        return self.text


class Choice(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    order = models.PositiveSmallIntegerField(default=0)
    text = models.CharField(_("choice"), max_length=200)

    class Meta:
        ordering = ["question", "order", "id"]

    def __str__(self) -> str:
        return self.text


class Response(models.Model):
    """One person's (or one device's) answers to one survey. Who answered is never published."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    device = models.CharField(max_length=64, blank=True, db_index=True)  # keyed hash of the device cookie
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "user"], condition=models.Q(user__isnull=False), name="survey_response_once_per_account"
            )
        ]

    def __str__(self) -> str:
        return f"response {self.pk} to {self.survey_id}"


class Answer(models.Model):
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    choice = models.ForeignKey(Choice, null=True, blank=True, on_delete=models.CASCADE, related_name="answers")
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    text = models.TextField(blank=True, max_length=1000)
    text_state = models.CharField(max_length=10, choices=TextState.choices, blank=True)

    class Meta:
        indexes = [models.Index(fields=["question", "text_state"], name="survey_answer_text_idx")]

    def __str__(self) -> str:
        return f"answer {self.pk}"
