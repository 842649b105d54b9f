"""Consultations: the municipality's participation measure as a workflow record.

A Consultation moves through stages (draft → informing → problem_identification → alternatives →
deliberation → deciding → decided → implementing → closed, cancelled before decided). Its
participation level decides which stages are visited; conditions on the transitions encode
that, so the engine's list of available moves is always the true one.

Every move closing a scheduled stage has a twin "…_early": before the stage's scheduled end only
the twin is available and it requires a reason; after it only the plain move is (the one the
deadline makes as the system).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from accounts.models import Role
from accounts.selectors import has_role, is_staff_of
from workflows.models import WorkflowRecord


class Level(models.TextChoices):
    INFORM = "inform", _("Inform")
    CONSULT = "consult", _("Consult")
    INVOLVE = "involve", _("Involve")
    COLLABORATE = "collaborate", _("Collaborate")
    EMPOWER = "empower", _("Empower")


LEVEL_RANK = {level: rank for rank, level in enumerate(Level.values)}


class State(models.TextChoices):
    DRAFT = "draft", _("Draft")
    INFORMING = "informing", _("Informing")
    PROBLEM_IDENTIFICATION = "problem_identification", _("Problem identification")
    ALTERNATIVES = "alternatives", _("Alternatives")
    DELIBERATION = "deliberation", _("Deliberation")
    DECIDING = "deciding", _("Deciding")
    DECIDED = "decided", _("Decided")
    IMPLEMENTING = "implementing", _("Implementing")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


# Stages with a scheduled start and end that residents take part in ("hearing stages").
HEARING_STAGES = (State.INFORMING, State.PROBLEM_IDENTIFICATION, State.ALTERNATIVES, State.DELIBERATION)
BEFORE_DECIDED = (
    State.DRAFT,
    State.INFORMING,
    State.PROBLEM_IDENTIFICATION,
    State.ALTERNATIVES,
    State.DELIBERATION,
    State.DECIDING,
)


def stages_for_level(level: str) -> list[str]:
    """The hearing stages a consultation at `level` visits, in order."""
    if level == Level.INFORM:
        return [State.INFORMING]
    if level == Level.CONSULT:
        return [State.INFORMING, State.DELIBERATION]
    if level == Level.INVOLVE:
        return [State.INFORMING, State.PROBLEM_IDENTIFICATION, State.DELIBERATION]
    return list(HEARING_STAGES)


def path_for_level(level: str) -> list[str]:
    """Every state a consultation at `level` passes through on its way to closed."""
    if level == Level.INFORM:
        return [State.DRAFT, State.INFORMING, State.CLOSED]
    return [State.DRAFT, *stages_for_level(level), State.DECIDING, State.DECIDED, State.IMPLEMENTING, State.CLOSED]


class ConsultationPolicy(models.Model):
    """Per-organisation settings for consultations."""

    organisation = models.OneToOneField("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    min_hearing_days = models.PositiveSmallIntegerField(_("minimum hearing days"), default=15)
    auto_hide_reports = models.PositiveSmallIntegerField(_("reports before a contribution is hidden for review"), default=3)
    closing_soon_days = models.PositiveSmallIntegerField(_("days before a stage ends to send a reminder"), default=2)
    edit_minutes = models.PositiveSmallIntegerField(
        _("minutes in which residents may edit what they wrote"),
        default=15,
        help_text=_("only while nobody has supported or answered it; withdrawing stays possible"),
    )

    class Meta:
        verbose_name = _("consultation policy")
        verbose_name_plural = _("consultation policies")

    def __str__(self) -> str:
        return f"policy {self.organisation_id}"

    @classmethod
    def for_organisation(cls, organisation_id: int) -> ConsultationPolicy:
        policy = cls.objects.filter(organisation_id=organisation_id).first()
        return policy or cls(organisation_id=organisation_id)


# --- conditions (pure reads; `.message` is what a 409 says) ---------------------------------------


def _cond(message):
    def wrap(fn):
        fn.message = message
        return fn

    return wrap


@_cond(_("this consultation's participation level does not visit this stage"))
def visits_problems(c) -> bool:
    return State.PROBLEM_IDENTIFICATION in stages_for_level(c.level)


@_cond(_("this consultation's participation level does not visit this stage"))
def visits_alternatives(c) -> bool:
    return State.ALTERNATIVES in stages_for_level(c.level)


def _next_after(c, stage) -> str | None:
    path = path_for_level(c.level)
    if stage not in path or stage == path[-1]:
        return None
    return path[path.index(stage) + 1]


@_cond(_("at this participation level the next stage is a different one"))
def next_is_deliberation(c) -> bool:
    return _next_after(c, c.state) == State.DELIBERATION


@_cond(_("only an information-only consultation closes after informing"))
def is_inform_level(c) -> bool:
    return c.level == Level.INFORM


@_cond(_("the stage has not reached its scheduled end; closing it early needs a reason (use the early step)"))
def stage_ended(c) -> bool:
    end = c.stage_end()
    return end is None or end <= timezone.now()


@_cond(_("the stage has already reached its scheduled end"))
def stage_running(c) -> bool:
    end = c.stage_end()
    return end is not None and end > timezone.now()


@_cond(
    _(
        "the schedule must give every stage a start and an end, and the hearing stages together must last at least "
        "the organisation's minimum number of days"
    )
)
def schedule_publishable(c) -> bool:
    from .services import schedule_problems

    return not schedule_problems(c, stages=None, from_now=True)


@_cond(_("the decision is not recorded yet or does not answer every alternative and every supported problem"))
def decision_complete(c) -> bool:
    from .selectors import decision_missing_answers

    return not decision_missing_answers(c)


@_cond(_("at the empower level the decision must adopt the alternative that won the vote"))
def decision_adopts_winner(c) -> bool:
    from .selectors import decision_ignores_winner

    return not decision_ignores_winner(c)


def may_move(c, user) -> bool:
    return is_staff_of(user, c.organisation_id)


def may_decide(c, user) -> bool:
    return has_role(user, c.organisation_id, Role.CLERK, Role.ADMIN)


def _label(text, *, reason=False, **extra):
    return {"label": text, "reason_required": reason, **extra}


def _clean_no_payload(record, payload):
    return {k: v for k, v in (payload or {}).items() if k == "deadline"}


class Consultation(WorkflowRecord):
    class Moderation(models.TextChoices):
        PRE = "pre", _("Pre-moderation (checked before it is shown)")
        POST = "post", _("Post-moderation (shown at once, checked after)")

    class Voting(models.TextChoices):
        SINGLE = "single", _("Single choice")
        APPROVAL = "approval", _("Approval (choose any number)")

    title = models.CharField(_("topic"), max_length=300)
    summary = models.TextField(_("summary"), blank=True)
    body = models.TextField(_("details"), blank=True)
    level = models.CharField(_("participation level"), max_length=20, choices=Level.choices, default=Level.CONSULT)
    state = FSMField(default=State.DRAFT, choices=State.choices, protected=True, db_index=True)
    moderation = models.CharField(_("moderation"), max_length=10, choices=Moderation.choices, default=Moderation.POST)
    voting = models.CharField(_("voting method"), max_length=10, choices=Voting.choices, default=Voting.SINGLE)
    show_tallies_during_voting = models.BooleanField(_("show the running tally while voting is open"), default=False)
    villages = models.ManyToManyField("accounts.Village", blank=True, related_name="+", verbose_name=_("eligible villages"))
    channels = models.TextField(_("other channels (one a line)"), blank=True, help_text=_("e.g. public meeting at หมู่ที่ 2"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("consultation")
        verbose_name_plural = _("consultations")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("consultations:detail", args=[self.pk])

    @property
    def rank(self) -> int:
        return LEVEL_RANK[self.level]

    @property
    def span(self) -> tuple:
        """(first scheduled start, last scheduled end), from prefetched stages when there are any."""
        stages = sorted(self.stages.all(), key=lambda s: s.starts_at)
        return (stages[0].starts_at, stages[-1].ends_at) if stages else (None, None)

    def stage_end(self):
        stages = getattr(self, "_prefetched_objects_cache", {}).get("stages")
        if stages is not None:
            return next((s.ends_at for s in stages if s.name == self.state), None)
        return self.stages.filter(name=self.state).values_list("ends_at", flat=True).first()

    # --- moves ------------------------------------------------------------------------------------
    @transition(
        field=state,
        source=State.DRAFT,
        target=State.INFORMING,
        conditions=[schedule_publishable],
        permission=may_move,
        custom=_label(_("Publish"), clean_payload=_clean_no_payload),
    )
    def publish(self, *, actor=None, reason="", payload=None):
        pass

    @transition(
        field=state,
        source=State.INFORMING,
        target=State.PROBLEM_IDENTIFICATION,
        conditions=[visits_problems, stage_ended],
        permission=may_move,
        custom=_label(_("Open problem identification"), clean_payload=_clean_no_payload),
    )
    def open_problem_identification(self, *, actor=None, reason="", payload=None):
        pass

    @transition(
        field=state,
        source=State.INFORMING,
        target=State.PROBLEM_IDENTIFICATION,
        conditions=[visits_problems, stage_running],
        permission=may_move,
        custom=_label(_("Close informing early and open problem identification"), reason=True),
    )
    def open_problem_identification_early(self, *, actor=None, reason="", payload=None):
        pass

    @transition(
        field=state,
        source=State.PROBLEM_IDENTIFICATION,
        target=State.ALTERNATIVES,
        conditions=[visits_alternatives, stage_ended],
        permission=may_move,
        custom=_label(_("Open alternatives"), clean_payload=_clean_no_payload),
    )
    def open_alternatives(self, *, actor=None, reason="", payload=None):
        pass

    @transition(
        field=state,
        source=State.PROBLEM_IDENTIFICATION,
        target=State.ALTERNATIVES,
        conditions=[visits_alternatives, stage_running],
        permission=may_move,
        custom=_label(_("Close problem identification early and open alternatives"), reason=True),
    )
    def open_alternatives_early(self, *, actor=None, reason="", payload=None):
        pass

    @transition(
        field=state,
        source=[State.INFORMING, State.PROBLEM_IDENTIFICATION, State.ALTERNATIVES],
        target=State.DELIBERATION,
        conditions=[next_is_deliberation, stage_ended],
        permission=may_move,
        custom=_label(_("Open deliberation and voting"), clean_payload=_clean_no_payload),
    )
    def open_deliberation(self, *, actor=None, reason="", payload=None):
        pass

    @transition(
        field=state,
        source=[State.INFORMING, State.PROBLEM_IDENTIFICATION, State.ALTERNATIVES],
        target=State.DELIBERATION,
        conditions=[next_is_deliberation, stage_running],
        permission=may_move,
        custom=_label(_("Close this stage early and open deliberation"), reason=True),
    )
    def open_deliberation_early(self, *, actor=None, reason="", payload=None):
        pass

    @transition(
        field=state,
        source=State.DELIBERATION,
        target=State.DECIDING,
        conditions=[stage_ended],
        permission=may_move,
        custom=_label(_("Close the hearing and start deciding"), clean_payload=_clean_no_payload),
    )
    def open_deciding(self, *, actor=None, reason="", payload=None):
        pass

    @transition(
        field=state,
        source=State.DELIBERATION,
        target=State.DECIDING,
        conditions=[stage_running],
        permission=may_move,
        custom=_label(_("Close the hearing early and start deciding"), reason=True),
    )
    def open_deciding_early(self, *, actor=None, reason="", payload=None):
        pass

    @transition(
        field=state,
        source=State.DECIDING,
        target=State.DECIDED,
        conditions=[decision_complete, decision_adopts_winner],
        permission=may_decide,
        custom=_label(_("Publish the decision")),
    )
    def decide(self, *, actor=None, reason="", payload=None):
        pass

    @transition(
        field=state,
        source=State.DECIDED,
        target=State.IMPLEMENTING,
        permission=may_move,
        custom=_label(_("Start implementation")),
    )
    def start_implementation(self, *, actor=None, reason="", payload=None):
        pass

    @transition(field=state, source=State.IMPLEMENTING, target=State.CLOSED, permission=may_move, custom=_label(_("Close")))
    @transition(
        field=state,
        source=State.INFORMING,
        target=State.CLOSED,
        conditions=[is_inform_level, stage_ended],
        permission=may_move,
        custom=_label(_("Close"), clean_payload=_clean_no_payload),
    )
    def close(self, *, actor=None, reason="", payload=None):
        pass

    @transition(
        field=state,
        source=State.INFORMING,
        target=State.CLOSED,
        conditions=[is_inform_level, stage_running],
        permission=may_move,
        custom=_label(_("Close informing early"), reason=True),
    )
    def close_early(self, *, actor=None, reason="", payload=None):
        pass

    @transition(
        field=state,
        source=list(BEFORE_DECIDED),
        target=State.CANCELLED,
        permission=may_move,
        custom=_label(_("Cancel"), reason=True),
    )
    def cancel(self, *, actor=None, reason="", payload=None):
        pass


# The move that leaves each scheduled stage on time (what the deadline makes), by level.
def on_time_move(c) -> str | None:
    nxt = _next_after(c, c.state)
    if c.state not in HEARING_STAGES or nxt is None:
        return None
    return {
        State.PROBLEM_IDENTIFICATION: "open_problem_identification",
        State.ALTERNATIVES: "open_alternatives",
        State.DELIBERATION: "open_deliberation",
        State.DECIDING: "open_deciding",
        State.CLOSED: "close",
    }[nxt]


class Stage(models.Model):
    """The scheduled start and end of one stage of one consultation."""

    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="stages")
    name = models.CharField(max_length=30, choices=State.choices)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    closing_soon_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["consultation", "name"], name="stage_unique_name"),
            models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")), name="stage_ends_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.consultation_id}:{self.name}"


class Document(models.Model):
    """A document published with a consultation: a link, or text."""

    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(_("title"), max_length=300)
    url = models.URLField(_("link"), blank=True)
    text = models.TextField(_("text"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.title


class Visibility(models.TextChoices):
    PUBLISHED = "published", _("Published")
    PENDING = "pending", _("Waiting for moderation")
    HIDDEN = "hidden", _("Hidden pending review")
    REMOVED = "removed", _("Removed by a moderator")
    MERGED = "merged", _("Merged into another")
    WITHDRAWN = "withdrawn", _("Withdrawn by its author")


# What the public reads in place of a withdrawn contribution's text.
WITHDRAWN_TEXT = _("withdrawn by its author")


class ReasonCode(models.TextChoices):
    SPAM = "spam", _("Spam or advertising")
    OFFENSIVE = "offensive", _("Offensive or abusive")
    PERSONAL_DATA = "personal_data", _("Contains personal data")
    OFF_TOPIC = "off_topic", _("Off topic")
    DUPLICATE = "duplicate", _("Duplicate")
    OTHER = "other", _("Other")


class Contribution(models.Model):
    """What residents write: problems, alternatives, comments. Moderated the same way."""

    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    village = models.ForeignKey("accounts.Village", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    body = models.TextField(_("text"))
    visibility = models.CharField(max_length=12, choices=Visibility.choices, default=Visibility.PUBLISHED, db_index=True)
    report_count = models.PositiveIntegerField(default=0)
    reason_code = models.CharField(max_length=20, choices=ReasonCode.choices, blank=True)
    moderation_note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_reason = models.TextField(blank=True)

    class Meta:
        abstract = True

    @property
    def is_public(self) -> bool:
        return self.visibility == Visibility.PUBLISHED

    @property
    def withdrawn(self) -> bool:
        return self.visibility == Visibility.WITHDRAWN

    # What pages and the API show: a withdrawn contribution's text never, the notice in its place.
    @property
    def shown_title(self) -> str:
        return str(WITHDRAWN_TEXT) if self.withdrawn else getattr(self, "title", "")

    @property
    def shown_body(self) -> str:
        if self.withdrawn:
            return "" if hasattr(self, "title") else str(WITHDRAWN_TEXT)
        return self.body


class Problem(Contribution):
    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="problems")
    title = models.CharField(_("problem or need"), max_length=300)
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged")
    response = models.TextField(_("answer"), blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.title


class Support(models.Model):
    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="supports")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    village = models.ForeignKey("accounts.Village", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["problem", "user"], name="support_once")]

    def __str__(self) -> str:
        return f"{self.user_id} supports {self.problem_id}"


class Alternative(Contribution):
    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="alternatives")
    title = models.CharField(_("alternative"), max_length=300)
    by_staff = models.BooleanField(default=False)
    problems = models.ManyToManyField(Problem, blank=True, related_name="alternatives")
    response = models.TextField(_("answer"), blank=True)
    adopted = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.title


MAX_REPLY_DEPTH = 3


class Comment(Contribution):
    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="comments")
    problem = models.ForeignKey(Problem, null=True, blank=True, on_delete=models.CASCADE, related_name="comments")
    alternative = models.ForeignKey(Alternative, null=True, blank=True, on_delete=models.CASCADE, related_name="comments")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies")
    # 1 for a comment, 2 for a reply, 3 at most (MAX_REPLY_DEPTH): a reply to a level-3 comment joins
    # the same level under its parent, and `reply_to` keeps the comment it answered.
    depth = models.PositiveSmallIntegerField(default=1)
    reply_to = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    by_staff = models.BooleanField(default=False)
    # The municipality's official voice (staff, rules "comment_official"), also in stages where
    # residents cannot comment: shown as "คำตอบจากเทศบาล / official answer".
    official = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.body[:60]


class Report(models.Model):
    class Kind(models.TextChoices):
        PROBLEM = "problem", _("problem")
        ALTERNATIVE = "alternative", _("alternative")
        COMMENT = "comment", _("comment")

    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="reports")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    object_id = models.PositiveBigIntegerField()
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reason_code = models.CharField(max_length=20, choices=ReasonCode.choices)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "object_id", "reporter"], name="report_once")]

    def __str__(self) -> str:
        return f"report {self.kind}:{self.object_id} ({self.reason_code})"


class Ballot(models.Model):
    """One per voter per consultation; its choices are replaced when the voter changes it.
    Secret: only the voter and the tally ever read it."""

    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="ballots")
    voter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    village = models.ForeignKey("accounts.Village", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    changes = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["consultation", "voter"], name="ballot_one_per_voter")]

    def __str__(self) -> str:
        return f"ballot {self.pk} in {self.consultation_id}"


class BallotChoice(models.Model):
    ballot = models.ForeignKey(Ballot, on_delete=models.CASCADE, related_name="choices")
    alternative = models.ForeignKey(Alternative, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ballot", "alternative"], name="ballot_choice_once")]

    def __str__(self) -> str:
        return f"{self.ballot_id} → {self.alternative_id}"


class Decision(models.Model):
    consultation = models.OneToOneField(Consultation, on_delete=models.CASCADE, related_name="decision")
    chosen = models.ManyToManyField(Alternative, blank=True, related_name="+")
    rationale = models.TextField(_("rationale"))
    council_resolution = models.CharField(_("council resolution reference"), max_length=200)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"decision {self.consultation_id}"


class ProgressUpdate(models.Model):
    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="progress_updates")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    body = models.TextField(_("update"))
    percent_complete = models.PositiveSmallIntegerField(_("percent complete"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"progress {self.consultation_id} {self.created_at:%Y-%m-%d}"


def _minutes_upload(instance, filename: str) -> str:
    return f"village-meetings/{instance.consultation_id}/{timezone.now():%Y%m%d%H%M%S}-{filename[-80:]}"


class VillageMeeting(models.Model):
    """A village meeting (ประชาคมหมู่บ้าน) held on the consultation: its paper ballots or show of
    hands per alternative, entered by staff with the minutes (a file through the storage API) and
    the attendance. Shown apart from the online ballots and added to the published result
    (selectors.results, services.consultation_published)."""

    class Method(models.TextChoices):
        PAPER = "paper", _("Paper ballots")
        HANDS = "hands", _("Show of hands")

    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="village_meetings")
    held_on = models.DateField(_("date of the meeting"))
    place = models.CharField(_("place"), max_length=200)
    village = models.ForeignKey("accounts.Village", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    method = models.CharField(_("how votes were counted"), max_length=10, choices=Method.choices, default=Method.HANDS)
    attendance = models.PositiveIntegerField(_("attendance"))
    minutes = models.FileField(_("minutes"), upload_to=_minutes_upload, max_length=300)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["consultation", "held_on", "id"]

    def __str__(self) -> str:
        return f"village meeting {self.held_on} on {self.consultation_id}"


class VillageMeetingCount(models.Model):
    meeting = models.ForeignKey(VillageMeeting, on_delete=models.CASCADE, related_name="counts")
    alternative = models.ForeignKey(Alternative, on_delete=models.CASCADE, related_name="+")
    votes = models.PositiveIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["meeting", "alternative"], name="meeting_count_once")]

    def __str__(self) -> str:
        return f"{self.meeting_id}: {self.alternative_id} = {self.votes}"
