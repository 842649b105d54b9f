"""Writes of the consultations app. Keyword-only, atomic, named <entity>_<action>.

State moves go through workflows.services.transition (the one write path); the machine's hook
`consultation_on_move` (registered in apps.py) keeps the stage deadlines in step and announces
each move. Everything a resident writes is checked by consultations.rules first.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.selectors import is_staff_of
from notifications.services import outbox_write, subscription_follow
from workflows.errors import Conflict, NotFound, PermissionDenied, TransitionNotAllowed, ValidationFailed
from workflows.models import AuditEntry
from workflows.services import audit_append, deadline_schedule, moderation_guard, published_record

from . import rules, selectors, voting
from .models import (
    HEARING_STAGES,
    MAX_REPLY_DEPTH,
    Alternative,
    Ballot,
    BallotChoice,
    Comment,
    Consultation,
    ConsultationPolicy,
    Decision,
    Document,
    Level,
    Problem,
    ProgressUpdate,
    ReasonCode,
    Report,
    Stage,
    State,
    Support,
    Visibility,
    on_time_move,
    stages_for_level,
)

MAX_TEXT = 4000
MAX_TITLE = 300


def _text(value, field: str, *, required: bool = True, max_length: int = MAX_TEXT) -> str:
    value = (value if isinstance(value, str) else "" if value is None else str(value)).strip()
    if required and not value:
        raise ValidationFailed(details={field: [_("This field is required.")]})
    if len(value) > max_length:
        raise ValidationFailed(details={field: [_("At most %(n)d characters.") % {"n": max_length}]})
    return value


def _url(c: Consultation) -> str:
    return reverse("consultations:detail", args=[c.pk])


def _fresh(consultation: Consultation, *, share: bool = False) -> Consultation:
    """Re-read the consultation inside the caller's transaction. `share` takes a FOR SHARE lock
    on PostgreSQL: many voters hold it at once, and a stage move (FOR UPDATE) waits for them,
    so no ballot lands after the stage closed."""
    if share and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM consultations_consultation WHERE id = %s FOR SHARE", [consultation.pk])
    return Consultation.objects.select_related("organisation").get(pk=consultation.pk)


# --- consultations, schedules, documents ------------------------------------------------------------


def consultation_create(
    *,
    organisation,
    actor,
    title: str,
    level: str,
    summary: str = "",
    body: str = "",
    moderation: str = Consultation.Moderation.POST,
    voting: str = Consultation.Voting.SINGLE,
    show_tallies_during_voting: bool = False,
    village_ids=(),
    channels: str = "",
) -> Consultation:
    if not is_staff_of(actor, organisation):
        raise PermissionDenied(_("Only staff of this municipality can start a consultation."))
    errors = {}
    if level not in Level.values:
        errors["level"] = [_("Choose one of: %(values)s.") % {"values": ", ".join(Level.values)}]
    if moderation not in Consultation.Moderation.values:
        errors["moderation"] = [_("Choose pre or post.")]
    if voting not in Consultation.Voting.values:
        errors["voting"] = [_("Choose single or approval.")]
    if errors:
        raise ValidationFailed(details=errors)
    title = _text(title, "title", max_length=MAX_TITLE)
    villages = list(organisation.villages.filter(pk__in=list(village_ids or [])))
    if len(villages) != len(set(village_ids or [])):
        raise ValidationFailed(details={"village_ids": [_("Unknown village.")]})
    with transaction.atomic():
        c = Consultation.objects.create(
            created_at=timezone.now(),
            updated_at=timezone.now(),
            organisation=organisation,
            title=title,
            level=level,
            summary=_text(summary, "summary", required=False),
            body=_text(body, "body", required=False, max_length=20000),
            moderation=moderation,
            voting=voting,
            show_tallies_during_voting=bool(show_tallies_during_voting),
            channels=_text(channels, "channels", required=False),
            created_by=actor,
        )
        if villages:
            c.villages.set(villages)
        # The settings only: a draft's text is not public yet (the entries are), and the decision
        # and answers it leads to are bound when they are published.
        audit_append(
            action=AuditEntry.Action.TRANSITION, name="create", actor=actor, record=c, to_state=c.state,
            payload={"level": c.level, "moderation": c.moderation, "voting": c.voting,
                     "show_tallies_during_voting": c.show_tallies_during_voting,
                     "villages": sorted(v.number for v in villages)},
        )  # fmt: skip
    return c


def schedule_problems(c: Consultation, *, stages: dict | None, from_now: bool = False, now=None) -> list[str]:
    """What is wrong with a schedule (empty when it is fine). `stages` maps stage name to
    (starts_at, ends_at); None reads the consultation's saved schedule."""
    if stages is None:
        stages = {s.name: (s.starts_at, s.ends_at) for s in c.stages.all()}
    needed = stages_for_level(c.level)
    problems = []
    missing = [s for s in needed if s not in stages]
    extra = [s for s in stages if s not in needed]
    if missing:
        problems.append(_("Missing stages: %(names)s.") % {"names": ", ".join(str(State(s).label) for s in missing)})
    if extra:
        problems.append(_("Not visited at this level: %(names)s.") % {"names": ", ".join(extra)})
    if problems:
        return problems
    previous_end = None
    for name in needed:
        start, end = stages[name]
        if end <= start:
            problems.append(_("%(stage)s must end after it starts.") % {"stage": State(name).label})
        if previous_end is not None and start != previous_end:
            problems.append(_("%(stage)s must start when the stage before it ends.") % {"stage": State(name).label})
        previous_end = end
    if problems:
        return problems
    first_start, last_end = stages[needed[0]][0], stages[needed[-1]][1]
    if from_now:
        first_start = max(first_start, now or timezone.now())
    minimum = ConsultationPolicy.for_organisation(c.organisation_id).min_hearing_days
    if last_end - first_start < dt.timedelta(days=minimum):
        problems.append(
            _("The hearing stages together must last at least %(days)d days; this schedule gives %(have).1f.")
            % {"days": minimum, "have": max((last_end - first_start).total_seconds(), 0) / 86400}
        )
    return problems


def consultation_schedule_set(*, consultation: Consultation, actor, stages: dict) -> list[Stage]:
    """Replace the stage schedule (draft only). `stages`: {name: (starts_at, ends_at)}, aware datetimes."""
    for name, (start, end) in stages.items():
        if timezone.is_naive(start) or timezone.is_naive(end):
            raise ValidationFailed(details={name: [_("Dates need a time zone.")]})
    with transaction.atomic():
        c = _fresh(consultation)
        rules.check("edit_schedule", actor, c)
        problems = schedule_problems(c, stages=stages)
        if problems:
            raise ValidationFailed(problems[0], code="schedule_invalid", details={"schedule": problems})
        Stage.objects.filter(consultation=c).delete()
        rows = Stage.objects.bulk_create(
            [
                Stage(consultation=c, name=name, starts_at=stages[name][0], ends_at=stages[name][1])
                for name in stages_for_level(c.level)
            ]
        )
    return rows


def consultation_stage_extend(*, consultation: Consultation, actor, ends_at, reason: str) -> Stage:
    """Staff give the running hearing stage more time: a later end, with a reason (never a shorter
    stage). The stages after it move by the same time, so each still starts when the one before it
    ends, and the new schedule is checked by the same rules as when it was set (schedule_problems:
    order and the organisation's minimum hearing days). The pending deadline moves to the new end,
    the closing-soon reminder is sent again before it, the audit entry binds the old and the new
    end, and followers are told."""
    reason = _text(reason, "reason", max_length=MAX_TEXT)
    if not isinstance(ends_at, dt.datetime) or timezone.is_naive(ends_at):
        raise ValidationFailed(details={"ends_at": [_("Give a date and time with a time zone.")]})
    with transaction.atomic():
        c = Consultation.objects.select_for_update().get(pk=consultation.pk)  # a stage move waits for it
        rules.check("extend_stage", actor, c)
        now = timezone.now()
        schedule = {s.name: s for s in Stage.objects.filter(consultation=c).select_for_update()}
        stage = schedule.get(c.state)
        if stage is None or stage.ends_at <= now:
            raise Conflict(
                _("This stage has already reached its scheduled end: move to the next stage instead."), code="stage_not_running"
            )
        old_end = stage.ends_at
        if ends_at <= old_end:
            raise ValidationFailed(
                _("An extension must end later than the stage's current end."),
                code="extension_not_later",
                details={"ends_at": [_("Choose a date after the current end.")]},
            )
        delta = ends_at - old_end
        names = stages_for_level(c.level)
        later = names[names.index(c.state) + 1 :] if c.state in names else []
        proposed = {name: (s.starts_at, s.ends_at) for name, s in schedule.items()}
        proposed[c.state] = (stage.starts_at, ends_at)
        for name in later:
            if name in proposed:
                proposed[name] = (proposed[name][0] + delta, proposed[name][1] + delta)
        problems = schedule_problems(c, stages=proposed)
        if problems:
            raise ValidationFailed(problems[0], code="schedule_invalid", details={"schedule": problems})
        remind_again = ends_at - now > dt.timedelta(days=ConsultationPolicy.for_organisation(c.organisation_id).closing_soon_days)
        stage.ends_at = ends_at
        if remind_again:
            stage.closing_soon_sent_at = None
        stage.save(update_fields=["ends_at", "closing_soon_sent_at"])
        for name in later:
            if name in schedule:
                moved = schedule[name]
                moved.starts_at, moved.ends_at = proposed[name]
                moved.save(update_fields=["starts_at", "ends_at"])
        move = on_time_move(c)
        if move:
            deadline_schedule(c, transition=move, due_at=ends_at)
        audit_append(
            action=AuditEntry.Action.MODERATION, name="stage_extended", actor=actor, record=c,
            from_state=c.state, to_state=c.state, reason=reason,
            payload={"stage": c.state, "old_ends_at": old_end.isoformat(), "new_ends_at": ends_at.isoformat(),
                     "moved": {name: [proposed[name][0].isoformat(), proposed[name][1].isoformat()] for name in later}},
        )  # fmt: skip
        outbox_write(
            event="consultation.stage_extended",
            data={
                "title": c.title, "url": _url(c), "stage": c.state, "stage_label": str(State(c.state).label),
                "previous_ends_at": old_end.isoformat(), "ends_at": ends_at.isoformat(), "reason": reason,
            },
            audience={"followers": True},
            organisation_id=c.organisation_id,
            record_type=c._meta.label_lower,
            record_id=c.pk,
        )  # fmt: skip
    return stage


def document_add(*, consultation: Consultation, actor, title: str, url: str = "", text: str = "") -> Document:
    title = _text(title, "title", max_length=MAX_TITLE)
    url = _text(url, "url", required=False, max_length=500)
    text = _text(text, "text", required=False, max_length=20000)
    if url and not url.startswith(("https://", "http://", "/")):
        raise ValidationFailed(details={"url": [_("Enter a web address starting with https://.")]})
    if not url and not text:
        raise ValidationFailed(details={"url": [_("Give a link or the text of the document.")]})
    with transaction.atomic():
        c = _fresh(consultation)
        rules.check("add_document", actor, c)
        return Document.objects.create(created_at=timezone.now(), consultation=c, title=title, url=url, text=text)


# --- contributions ----------------------------------------------------------------------------------


MODERATOR_ROLES = sorted(rules.MODERATORS)


def _tell_moderators(c: Consultation, item, event: str, **data) -> None:
    """A contribution landed on the moderators' desk (config.desk): they hear it in their inbox and
    by mail, as their preferences say."""
    kind = type(item).__name__.lower()
    outbox_write(
        event=event,
        data={"title": c.title, "url": f"{_url(c)}#{kind}-{item.pk}", "item": _excerpt(item), "kind": kind, **data},
        audience={"roles": MODERATOR_ROLES},
        organisation_id=c.organisation_id,
        record_type=c._meta.label_lower,
        record_id=c.pk,
    )


def _desk_if_pending(c: Consultation, item) -> None:
    if item.visibility == Visibility.PENDING:
        _tell_moderators(c, item, "consultation.contribution_pending")


def _initial_visibility(c: Consultation, actor) -> str:
    if c.moderation == Consultation.Moderation.PRE and not is_staff_of(actor, c.organisation_id):
        return Visibility.PENDING
    return Visibility.PUBLISHED


def problem_submit(*, consultation: Consultation, actor, title: str, body: str = "") -> Problem:
    title = _text(title, "title", max_length=MAX_TITLE)
    body = _text(body, "body", required=False)
    with transaction.atomic():
        c = _fresh(consultation)
        rules.check("submit_problem", actor, c)
        problem = Problem.objects.create(
            created_at=timezone.now(),
            consultation=c,
            author=actor,
            village_id=actor.village_id,
            title=title,
            body=body,
            visibility=_initial_visibility(c, actor),
        )
        subscription_follow(user=actor, record=c, auto=True)
        _desk_if_pending(c, problem)
    return problem


def _published(model, c: Consultation, pk, *, field: str = "", unknown=None):
    """The published `model` row `pk` of consultation `c`. Missing: a 400 on `field` (input the
    caller named) with the message `unknown`, or a 404 when no field is given."""
    item = model.objects.filter(consultation=c, pk=pk, visibility=Visibility.PUBLISHED).first()
    if item is None:
        if field:
            raise ValidationFailed(details={field: [unknown]})
        raise NotFound(unknown)
    return item


def _published_problem(c: Consultation, problem_id) -> Problem:
    return _published(Problem, c, problem_id, unknown=_("No such problem in this consultation."))


def problem_support(*, problem: Problem, actor, support: bool = True) -> bool:
    """Support (or withdraw support from) a problem. Idempotent; returns whether it is supported now."""
    with transaction.atomic():
        c = _fresh(problem.consultation)
        rules.check("support_problem", actor, c)
        problem = _published_problem(c, problem.pk)
        if support:
            try:
                with transaction.atomic():
                    Support.objects.create(created_at=timezone.now(), problem=problem, user=actor, village_id=actor.village_id)
            except IntegrityError:
                pass
            subscription_follow(user=actor, record=c, auto=True)
        else:
            Support.objects.filter(problem=problem, user=actor).delete()
    return support


def problem_merge(*, problem: Problem, into: Problem, actor, reason: str = "") -> Problem:
    """Merge a duplicate into another problem: its supporters move over, it shows as merged."""
    reason = _text(reason, "reason", required=False)
    with transaction.atomic():
        c = _fresh(problem.consultation)
        rules.check("merge_problems", actor, c)
        problem = Problem.objects.select_for_update().filter(consultation=c, pk=problem.pk).first()
        into = Problem.objects.select_for_update().filter(consultation=c, pk=getattr(into, "pk", None)).first()
        if problem is None or into is None:
            raise NotFound(_("No such problem in this consultation."))
        if problem.pk == into.pk:
            raise ValidationFailed(_("A problem cannot be merged into itself."), details={"into": [_("Choose another problem.")]})
        if problem.visibility == Visibility.MERGED or into.visibility != Visibility.PUBLISHED:
            raise Conflict(_("Only a problem that is not merged can be merged into a published one."))
        # Each person once: who supported both keeps one support on the kept problem. A support
        # landing on `into` meanwhile (problem_support does not lock it) is skipped, not a 500.
        already = set(Support.objects.filter(problem=into).values_list("user_id", flat=True))
        moving = [s for s in Support.objects.filter(problem=problem) if s.user_id not in already]
        if problem.author_id and problem.author_id not in already | {s.user_id for s in moving}:
            moving.append(Support(problem=into, user_id=problem.author_id, village_id=problem.village_id))
        Support.objects.bulk_create(
            [Support(problem=into, user_id=s.user_id, village_id=s.village_id, created_at=s.created_at) for s in moving],
            ignore_conflicts=True,
        )
        Support.objects.filter(problem=problem).delete()
        # Problems merged into this one earlier now point at the kept one (no chain of merges).
        Problem.objects.filter(merged_into=problem).update(merged_into=into)
        before = problem.visibility
        problem.visibility, problem.merged_into, problem.reason_code = Visibility.MERGED, into, ReasonCode.DUPLICATE
        problem.moderation_note = reason
        problem.save(update_fields=["visibility", "merged_into", "reason_code", "moderation_note"])
        _audit_moderation(c, problem, name="problem_merge", actor=actor, before=before, reason=reason, payload={"into": into.pk})
        _tell_author(c, problem, outcome="merged", reason_code=ReasonCode.DUPLICATE, reason=reason or into.title)
    return into


def alternative_create(*, consultation: Consultation, actor, title: str, body: str = "", problem_ids=()) -> Alternative:
    """Staff draft alternatives; from `collaborate` up residents propose them in the alternatives stage."""
    title = _text(title, "title", max_length=MAX_TITLE)
    body = _text(body, "body", required=False)
    try:
        problem_ids = {int(p) for p in (problem_ids or [])}
    except (TypeError, ValueError):
        raise ValidationFailed(details={"problem_ids": [_("Give problem numbers.")]}) from None
    with transaction.atomic():
        c = _fresh(consultation)
        staff = is_staff_of(actor, c.organisation_id)
        rules.check("draft_alternative" if staff else "propose_alternative", actor, c)
        problems = list(Problem.objects.filter(consultation=c, pk__in=problem_ids, visibility=Visibility.PUBLISHED))
        if len(problems) != len(problem_ids):
            raise ValidationFailed(details={"problem_ids": [_("Unknown problem.")]})
        alternative = Alternative.objects.create(
            created_at=timezone.now(),
            consultation=c,
            author=actor,
            village_id=actor.village_id,
            title=title,
            body=body,
            by_staff=staff,
            visibility=_initial_visibility(c, actor),
        )
        if problems:
            alternative.problems.set(problems)
        if not staff:
            subscription_follow(user=actor, record=c, auto=True)
        _desk_if_pending(c, alternative)
    return alternative


def comment_post(
    *, consultation: Consultation, actor, body: str, parent_id=None, problem_id=None, alternative_id=None, official=False
) -> Comment:
    """A comment or a reply. `official`: staff speak as the municipality (rule comment_official),
    also where residents cannot comment; otherwise the rule is "comment"."""
    body = _text(body, "body")
    official = bool(official)
    with transaction.atomic():
        c = _fresh(consultation)
        rules.check("comment_official" if official else "comment", actor, c)
        problem = alternative = parent = reply_to = None
        if parent_id:
            parent = _published(Comment, c, parent_id, field="parent_id", unknown=_("Unknown comment."))
            problem, alternative = parent.problem, parent.alternative
            if parent.depth >= MAX_REPLY_DEPTH:  # threads nest 3 deep: answer at the answered comment's level
                reply_to = parent
                while parent.depth >= MAX_REPLY_DEPTH and parent.parent_id:
                    parent = Comment.objects.get(pk=parent.parent_id)
        else:
            if problem_id:
                problem = _published(Problem, c, problem_id, field="problem_id", unknown=_("Unknown problem."))
            if alternative_id:
                alternative = _published(
                    Alternative, c, alternative_id, field="alternative_id", unknown=_("Unknown alternative.")
                )
            if problem and alternative:
                raise ValidationFailed(details={"problem_id": [_("A comment is on a problem or an alternative, not both.")]})
        comment = Comment.objects.create(
            created_at=timezone.now(),
            consultation=c,
            author=actor,
            village_id=actor.village_id,
            body=body,
            parent=parent,
            depth=parent.depth + 1 if parent else 1,
            reply_to=reply_to,
            problem=problem,
            alternative=alternative,
            by_staff=is_staff_of(actor, c.organisation_id),
            official=official,
            visibility=_initial_visibility(c, actor),
        )
        if official:  # what the municipality says publicly is bound into the chain
            audit_append(
                action=AuditEntry.Action.MODERATION, name="official_answer", actor=actor, record=comment,
                organisation_id=c.organisation_id, to_state=comment.visibility,
                payload={"consultation": c.pk, "parent": comment.parent_id, "problem": comment.problem_id,
                         "alternative": comment.alternative_id, "body": comment.body},
            )  # fmt: skip
        subscription_follow(user=actor, record=c, auto=True)
        _desk_if_pending(c, comment)
        _tell_replied(c, comment)
    return comment


def _tell_replied(c: Consultation, reply: Comment) -> None:
    """The author of the comment a reply answers hears of it (consultation.comment_reply), once the
    reply is public: at once, or when a moderator publishes it. Not for answering oneself."""
    answered_id = reply.reply_to_id or reply.parent_id
    if not answered_id or reply.visibility != Visibility.PUBLISHED:
        return
    answered = Comment.objects.filter(pk=answered_id).only("author_id", "body").first()
    if answered is None or not answered.author_id or answered.author_id == reply.author_id:
        return
    outbox_write(
        event="consultation.comment_reply",
        data={
            "title": c.title,
            "url": f"{_url(c)}#comment-{reply.pk}",
            "item": answered.body[:80],
            "reply": reply.body[:300],
            "by_staff": reply.by_staff,
            "official": reply.official,
        },
        audience={"users": [answered.author_id]},
        organisation_id=c.organisation_id,
        record_type=c._meta.label_lower,
        record_id=c.pk,
    )


# --- the author's own edits and withdrawals -----------------------------------------------------------


def _own(c: Consultation, kind: str, object_id, actor):
    item = contribution_get(c, kind, object_id, lock=True)
    if not actor or item.author_id != actor.pk:
        raise PermissionDenied(_("Only its author can change what was written."))
    return item


def contribution_edit(*, consultation: Consultation, actor, kind: str, object_id, title=None, body=None):
    """The author corrects a problem, alternative or comment: within the organisation's edit window
    (ConsultationPolicy.edit_minutes, 15 by default) and only while nobody has supported or answered
    it. Audited with the new text."""
    with transaction.atomic():
        c = _fresh(consultation)
        item = _own(c, kind, object_id, actor)
        rules.check(selectors.post_rule(item), actor, c)
        if item.visibility not in selectors.EDITABLE:
            raise Conflict(_("Only what is shown or waiting for moderation can be edited."), code="not_editable")
        refusal = selectors.edit_refusal(item, c)
        if refusal == "edit_window_closed":
            minutes = ConsultationPolicy.for_organisation(c.organisation_id).edit_minutes
            raise Conflict(
                _("It can be edited for %(n)d minutes after posting; withdraw it instead.") % {"n": minutes},
                code=refusal, details={"edit_minutes": minutes},
            )  # fmt: skip
        if refusal == "already_answered":
            raise Conflict(_("Someone has already supported or answered it; withdraw it instead."), code=refusal)
        fields = ["edited_at"]
        if hasattr(item, "title") and title is not None:
            item.title = _text(title, "title", max_length=MAX_TITLE)
            fields.append("title")
        if body is not None:
            item.body = _text(body, "body", required=kind == Report.Kind.COMMENT)
            fields.append("body")
        if len(fields) == 1:
            raise ValidationFailed(details={"body": [_("Give the new text.")]})
        item.edited_at = timezone.now()
        item.save(update_fields=fields)
        _audit_moderation(
            c, item, name="contribution_edit", actor=actor, before=item.visibility, reason="",
            payload={"kind": kind, "title": getattr(item, "title", ""), "body": item.body},
        )  # fmt: skip
    return item


def contribution_withdraw(*, consultation: Consultation, actor, kind: str, object_id, reason: str):
    """The author withdraws what they wrote, with a reason, while the hearing runs: the public then
    reads "ถอนโดยผู้เขียน / withdrawn by its author" in its place. Audited with the reason."""
    reason = _text(reason, "reason", max_length=2000)
    with transaction.atomic():
        c = _fresh(consultation)
        item = _own(c, kind, object_id, actor)
        rules.check("withdraw", actor, c)
        if item.visibility == Visibility.WITHDRAWN:
            raise Conflict(_("It is already withdrawn."), code="no_change")
        if item.visibility not in selectors.EDITABLE:
            raise Conflict(_("Only what is shown or waiting for moderation can be withdrawn."), code="not_editable")
        if isinstance(item, Alternative) and BallotChoice.objects.filter(alternative=item).exists():
            raise Conflict(_("People have voted for this alternative; it can no longer be withdrawn."), code="has_votes")
        before = item.visibility
        item.visibility, item.withdrawn_at, item.withdrawn_reason = Visibility.WITHDRAWN, timezone.now(), reason
        item.save(update_fields=["visibility", "withdrawn_at", "withdrawn_reason"])
        Report.objects.filter(kind=kind, object_id=item.pk, resolved_at__isnull=True).update(resolved_at=timezone.now())
        _audit_moderation(
            c, item, name="contribution_withdraw", actor=actor, before=before, reason=reason, payload={"kind": kind}
        )
    return item


# --- moderation -------------------------------------------------------------------------------------

KINDS = {Report.Kind.PROBLEM: Problem, Report.Kind.ALTERNATIVE: Alternative, Report.Kind.COMMENT: Comment}


def contribution_get(c: Consultation, kind: str, object_id, *, lock: bool = False):
    model = KINDS.get(kind)
    if model is None:
        raise ValidationFailed(details={"kind": [_("Choose problem, alternative or comment.")]})
    try:
        object_id = int(object_id)
    except (TypeError, ValueError):
        raise ValidationFailed(details={"object_id": [_("Give a number.")]}) from None
    qs = model.objects.select_for_update() if lock else model.objects
    item = qs.filter(consultation=c, pk=object_id).first()
    if item is None:
        raise NotFound()
    return item


def _excerpt(item) -> str:
    return getattr(item, "title", "") or item.body[:80]


def _audit_moderation(c: Consultation, item, *, name: str, actor, before: str, reason: str, payload: dict) -> None:
    """One moderation act on a contribution: its visibility before and after, the reason, the details."""
    audit_append(
        action=AuditEntry.Action.MODERATION, name=name, actor=actor, record=item, organisation_id=c.organisation_id,
        from_state=before, to_state=item.visibility, reason=reason, payload=payload,
    )  # fmt: skip


def _tell_author(c: Consultation, item, *, outcome: str, reason_code: str, reason: str) -> None:
    if not item.author_id:
        return
    outbox_write(
        event="moderation.outcome",
        data={
            "title": c.title,
            "url": _url(c),
            "item": _excerpt(item),
            "kind": type(item).__name__.lower(),
            "outcome": outcome,
            "reason_code": reason_code,
            "reason_label": str(ReasonCode(reason_code).label) if reason_code in ReasonCode.values else "",
            "reason": reason,
        },
        audience={"users": [item.author_id]},
        organisation_id=c.organisation_id,
        record_type=c._meta.label_lower,
        record_id=c.pk,
    )


def report_file(*, consultation: Consultation, actor, kind: str, object_id, reason_code: str, note: str = "") -> Report:
    """A resident reports a contribution. At the policy's count it is hidden pending review."""
    if reason_code not in ReasonCode.values:
        raise ValidationFailed(
            details={"reason_code": [_("Choose one of: %(values)s.") % {"values": ", ".join(ReasonCode.values)}]}
        )
    note = _text(note, "note", required=False, max_length=1000)
    with transaction.atomic():
        c = _fresh(consultation)
        rules.check("report", actor, c)
        item = contribution_get(c, kind, object_id, lock=True)
        if item.visibility != Visibility.PUBLISHED:
            raise Conflict(_("This is not shown publicly, so it cannot be reported."), code="not_published")
        if item.author_id == actor.pk:
            raise ValidationFailed(_("You cannot report what you wrote yourself."), code="own_contribution")
        try:
            with transaction.atomic():
                report = Report.objects.create(
                    created_at=timezone.now(),
                    consultation=c,
                    kind=kind,
                    object_id=item.pk,
                    reporter=actor,
                    reason_code=reason_code,
                    note=note,
                )
        except IntegrityError:
            raise Conflict(_("You have already reported this."), code="already_reported") from None
        type(item).objects.filter(pk=item.pk).update(report_count=F("report_count") + 1)
        item.report_count += 1
        threshold = ConsultationPolicy.for_organisation(c.organisation_id).auto_hide_reports
        hides = bool(threshold and item.report_count >= threshold)
        others = Report.objects.filter(kind=kind, object_id=item.pk, resolved_at__isnull=True).exclude(pk=report.pk)
        if hides or not others.exists():
            # The first open report, and the one that hides it: each puts it on the moderators' desk.
            _tell_moderators(
                c, item, "consultation.contribution_reported", reason_code=reason_code, hidden=hides,
                reason_label=str(ReasonCode(reason_code).label), note=note[:300],
            )  # fmt: skip
        if hides:
            item.visibility = Visibility.HIDDEN
            item.reason_code = reason_code
            item.save(update_fields=["visibility", "reason_code"])
            audit_append(
                action=AuditEntry.Action.MODERATION,
                name="auto_hide",
                actor=None,
                record=item,
                organisation_id=c.organisation_id,
                from_state=Visibility.PUBLISHED,
                to_state=Visibility.HIDDEN,
                reason=_("Hidden after %(n)d reports, pending review.") % {"n": item.report_count},
                payload={"reports": item.report_count},
            )
            _tell_author(
                c,
                item,
                outcome="hidden",
                reason_code=reason_code,
                reason=_("Hidden after several reports until a moderator reviews it."),
            )
    return report


def moderation_decide(
    *, consultation: Consultation, actor, kind: str, object_id, outcome: str, reason_code: str = "", reason: str = ""
):
    """A moderator publishes (approve / restore) or removes (hides from the public) a contribution, or
    dismisses the reports on it (report_dismiss). Audited; the author is told why."""
    if outcome == "dismiss":
        return report_dismiss(consultation=consultation, actor=actor, kind=kind, object_id=object_id, reason=reason)
    if outcome not in ("publish", "remove"):
        raise ValidationFailed(details={"outcome": [_("Choose publish, remove or dismiss.")]})
    if outcome == "remove" and reason_code not in ReasonCode.values:
        raise ValidationFailed(_("Removing needs a reason code."), details={"reason_code": [_("This field is required.")]})
    if reason_code and reason_code not in ReasonCode.values:
        raise ValidationFailed(details={"reason_code": [_("Unknown reason code.")]})
    reason = _text(reason, "reason", required=False, max_length=2000)
    with transaction.atomic():
        c = _fresh(consultation)
        rules.check("moderate", actor, c)
        item = contribution_get(c, kind, object_id, lock=True)
        moderation_guard(item, actor)
        target = Visibility.PUBLISHED if outcome == "publish" else Visibility.REMOVED
        if item.visibility == Visibility.MERGED:
            raise Conflict(_("A merged problem cannot be moderated."), code="merged")
        if item.visibility == Visibility.WITHDRAWN:
            raise Conflict(_("Its author withdrew it; it cannot be moderated."), code="withdrawn")
        if item.visibility == target:
            raise Conflict(_("It is already in that state."), code="no_change")
        before = item.visibility
        item.visibility, item.reason_code, item.moderation_note = target, reason_code, reason
        item.save(update_fields=["visibility", "reason_code", "moderation_note"])
        Report.objects.filter(kind=kind, object_id=item.pk, resolved_at__isnull=True).update(resolved_at=timezone.now())
        _audit_moderation(
            c, item, name=f"moderation_{outcome}", actor=actor, before=before, reason=reason,
            payload={"reason_code": reason_code, "kind": kind},
        )  # fmt: skip
        _tell_author(c, item, outcome="published" if outcome == "publish" else "removed", reason_code=reason_code, reason=reason)
        if kind == Report.Kind.COMMENT and before == Visibility.PENDING:  # a reply waiting for moderation is public now
            _tell_replied(c, item)
    return item


def report_dismiss(*, consultation: Consultation, actor, kind: str, object_id, reason: str = ""):
    """A moderator finds the reports on a contribution unfounded: they are closed and the text stays
    (shown again if the reports had hidden it, and its report count starts again from zero, so the
    next report does not hide it at once). Audited with the number of reports dismissed."""
    reason = _text(reason, "reason", required=False, max_length=2000)
    with transaction.atomic():
        c = _fresh(consultation)
        rules.check("moderate", actor, c)
        item = contribution_get(c, kind, object_id, lock=True)
        moderation_guard(item, actor)
        reports = Report.objects.filter(kind=kind, object_id=item.pk, resolved_at__isnull=True)
        count = reports.update(resolved_at=timezone.now())
        if not count:
            raise Conflict(_("There is no open report on this."), code="no_open_reports")
        before = item.visibility
        restored = before == Visibility.HIDDEN  # hidden by the reports themselves, not by a moderator
        item.visibility = Visibility.PUBLISHED if restored else before
        item.report_count = 0
        item.save(update_fields=["visibility", "report_count"])
        _audit_moderation(
            c, item, name="reports_dismissed", actor=actor, before=before, reason=reason, payload={"kind": kind, "reports": count}
        )
        if restored:
            _tell_author(c, item, outcome="published", reason_code="", reason=reason)
    return item


# --- ballots ----------------------------------------------------------------------------------------


def ballot_cast(*, consultation: Consultation, actor, alternative_ids) -> Ballot:
    """Cast or change the actor's ballot. One per voter; the choices are replaced."""
    if not isinstance(alternative_ids, list | tuple | set) or not alternative_ids:
        raise ValidationFailed(details={"alternative_ids": [_("Choose at least one alternative.")]})
    try:
        wanted = [int(a) for a in alternative_ids]
    except (TypeError, ValueError):
        raise ValidationFailed(details={"alternative_ids": [_("Give alternative numbers.")]}) from None
    if len(set(wanted)) != len(wanted):
        raise ValidationFailed(details={"alternative_ids": [_("Each alternative at most once.")]})
    if getattr(actor, "is_authenticated", False):
        fast = ballot_cast_plain(consultation_id=consultation.pk, voter_id=actor.pk, wanted=wanted)
        if fast is not None:
            return fast
    with transaction.atomic():
        c = _fresh(consultation, share=True)
        rules.check("vote", actor, c)
        village_ids = set(c.villages.values_list("pk", flat=True))
        if village_ids and actor.village_id not in village_ids:
            raise PermissionDenied(_("This vote is open to residents of certain villages only."), code="not_eligible")
        if c.voting == Consultation.Voting.SINGLE and len(wanted) != 1:
            raise ValidationFailed(details={"alternative_ids": [_("Choose exactly one alternative.")]})
        valid = set(
            Alternative.objects.filter(consultation=c, pk__in=wanted, visibility=Visibility.PUBLISHED).values_list(
                "pk", flat=True
            )
        )
        if valid != set(wanted):
            raise ValidationFailed(details={"alternative_ids": [_("Unknown alternative.")]})
        now = timezone.now()
        ballot = Ballot.objects.select_for_update().filter(consultation=c, voter=actor).first()
        if ballot is None:
            try:
                with transaction.atomic():
                    ballot = Ballot.objects.create(
                        consultation=c, voter=actor, village_id=actor.village_id, created_at=now, updated_at=now
                    )
            except IntegrityError:  # the same voter's other request won the race
                ballot = Ballot.objects.select_for_update().get(consultation=c, voter=actor)
                ballot.changes += 1
        else:
            ballot.changes += 1
        ballot.updated_at = now
        ballot.save(update_fields=["updated_at", "changes"])
        BallotChoice.objects.filter(ballot=ballot).delete()
        BallotChoice.objects.bulk_create([BallotChoice(ballot=ballot, alternative_id=a) for a in wanted])
        subscription_follow(user=actor, record=c, auto=True)
    return ballot


def ballot_cast_plain(*, consultation_id: int, voter_id: int, wanted: list[int]) -> Ballot | None:
    """The plain case of ballot_cast in one call (consultations.voting, PostgreSQL): the ballot
    (unsaved instance with what was written), or None when the portable code must decide."""
    if not voting.available() or not voting.plain(wanted):
        return None
    now = timezone.now()
    done = voting.cast(consultation_id=consultation_id, voter_id=voter_id, wanted=wanted, now=now)
    if done is None:
        return None
    ballot = Ballot(
        pk=done.ballot_id, consultation_id=consultation_id, voter_id=voter_id, village_id=done.village_id,
        created_at=done.created_at, updated_at=now, changes=done.changes,
    )  # fmt: skip
    ballot._state.adding = False
    return ballot


# --- decision and follow-through ---------------------------------------------------------------------


def _id_map(raw, field: str) -> dict[int, str]:
    if raw in (None, ""):
        return {}
    if not isinstance(raw, dict):
        raise ValidationFailed(details={field: [_("Give an object: {id: answer}.")]})
    try:
        return {int(k): _text(v, field, required=False) for k, v in raw.items()}
    except ValueError:
        raise ValidationFailed(details={field: [_("Keys must be numbers.")]}) from None


def decision_record(
    *,
    consultation: Consultation,
    actor,
    chosen_ids,
    rationale: str,
    council_resolution: str,
    alternative_answers=None,
    problem_answers=None,
) -> Decision:
    """The clerk records (or corrects) the decision while deciding. Publishing it is the `decide` move."""
    rationale = _text(rationale, "rationale", max_length=20000)
    council_resolution = _text(council_resolution, "council_resolution", max_length=200)
    if not isinstance(chosen_ids, list | tuple | set):
        raise ValidationFailed(details={"chosen_ids": [_("Give a list of alternative numbers.")]})
    try:
        chosen = {int(a) for a in chosen_ids}
    except (TypeError, ValueError):
        raise ValidationFailed(details={"chosen_ids": [_("Give alternative numbers.")]}) from None
    alt_answers = _id_map(alternative_answers, "alternative_answers")
    prob_answers = _id_map(problem_answers, "problem_answers")
    with transaction.atomic():
        c = _fresh(consultation)
        rules.check("record_decision", actor, c)
        published_before = consultation_published(c)
        alternatives = {a.pk: a for a in Alternative.objects.filter(consultation=c, visibility=Visibility.PUBLISHED)}
        problems = {p.pk: p for p in Problem.objects.filter(consultation=c, visibility=Visibility.PUBLISHED)}
        errors = {}
        if not chosen <= set(alternatives):
            errors["chosen_ids"] = [_("Unknown alternative.")]
        if not set(alt_answers) <= set(alternatives):
            errors["alternative_answers"] = [_("Unknown alternative.")]
        if not set(prob_answers) <= set(problems):
            errors["problem_answers"] = [_("Unknown problem.")]
        if errors:
            raise ValidationFailed(details=errors)
        decision, _created = Decision.objects.update_or_create(
            consultation=c,
            defaults={
                "rationale": rationale,
                "council_resolution": council_resolution,
                "recorded_by": actor,
                "recorded_at": timezone.now(),
            },
        )
        decision.chosen.set([alternatives[a] for a in chosen])
        for pk, alt in alternatives.items():
            alt.adopted = pk in chosen
            if pk in alt_answers:
                alt.response = alt_answers[pk]
            alt.save(update_fields=["adopted", "response"])
        for pk, answer in prob_answers.items():
            problems[pk].response = answer
            problems[pk].save(update_fields=["response"])
        published_record(record=c, actor=actor, name="answers_published", since=published_before)
    return decision


def progress_update_post(*, consultation: Consultation, actor, body: str, percent_complete=None) -> ProgressUpdate:
    body = _text(body, "body")
    if percent_complete not in (None, ""):
        try:
            percent_complete = int(percent_complete)
        except (TypeError, ValueError):
            raise ValidationFailed(details={"percent_complete": [_("Give a number from 0 to 100.")]}) from None
        if not 0 <= percent_complete <= 100:
            raise ValidationFailed(details={"percent_complete": [_("Give a number from 0 to 100.")]})
    else:
        percent_complete = None
    with transaction.atomic():
        c = _fresh(consultation)
        rules.check("progress_update", actor, c)
        update = ProgressUpdate.objects.create(
            created_at=timezone.now(), consultation=c, author=actor, body=body, percent_complete=percent_complete
        )
        published_record(record=c, actor=actor, name="progress_update")
        outbox_write(
            event="consultation.progress_update",
            data={"title": c.title, "url": _url(c), "body": body[:500], "percent_complete": percent_complete},
            audience={"followers": True},
            organisation_id=c.organisation_id,
            record_type=c._meta.label_lower,
            record_id=c.pk,
        )
    return update


# --- the published record: what the audit chain binds (workflows.services.published_record) ---------

DECISION_PUBLIC = (State.DECIDED, State.IMPLEMENTING, State.CLOSED)


def consultation_published(c: Consultation) -> dict:
    """What the public reads of a consultation's outcome: the decision once published, the answers
    to each problem and alternative, and the progress updates. Every change is an audit entry."""
    content: dict = {}
    decision = Decision.objects.filter(consultation=c).first() if c.state in DECISION_PUBLIC else None
    if decision is not None:
        content["decision"] = {
            "rationale": decision.rationale,
            "council_resolution": decision.council_resolution,
            "chosen": sorted(decision.chosen.values_list("pk", flat=True)),
        }
    answers = {
        "alternatives": dict(
            Alternative.objects.filter(consultation=c, visibility=Visibility.PUBLISHED)
            .exclude(response="").order_by("pk").values_list("pk", "response")
        ),
        "problems": dict(
            Problem.objects.filter(consultation=c, visibility=Visibility.PUBLISHED)
            .exclude(response="").order_by("pk").values_list("pk", "response")
        ),
    }  # fmt: skip
    answers = {kind: {str(pk): text for pk, text in rows.items()} for kind, rows in answers.items() if rows}
    if answers:
        content["answers"] = answers
    meetings = [
        {k: m[k] for k in ("id", "held_on", "place", "method", "attendance", "counts")} | {"held_on": m["held_on"].isoformat()}
        for m in selectors.village_meetings(c)
    ]
    if meetings:  # the village meetings' counts are part of the published result
        content["village_meetings"] = [
            m | {"counts": {str(n["alternative_id"]): n["votes"] for n in m["counts"]}} for m in meetings
        ]
    updates = list(
        ProgressUpdate.objects.filter(consultation=c).order_by("created_at", "id").values("id", "body", "percent_complete")
    )
    if updates:
        content["progress"] = updates
    return content


def consultation_attach_parts(c: Consultation) -> dict[str, bool]:
    """Where files hang on a consultation (workflows.attachments): the consultation itself, its
    decision (public once published) and each progress update."""
    parts = {"": True}
    if Decision.objects.filter(consultation=c).exists():
        parts["decision"] = c.state in DECISION_PUBLIC
    for pk in ProgressUpdate.objects.filter(consultation=c).values_list("pk", flat=True):
        parts[f"progress:{pk}"] = True
    return parts


def consultation_may_attach(c: Consultation, user, part: str) -> bool:
    """Staff: on the consultation while documents may be added, on its decision and progress updates
    unless it was cancelled."""
    if part == "":
        return rules.can("add_document", user, c)
    return c.state != State.CANCELLED and bool(rules.effective_roles(user, c.organisation_id) & rules.STAFF)


# --- the machine's hook: deadlines and events for every move ------------------------------------------


def consultation_on_move(c: Consultation, move) -> list[dict]:
    """Called by workflows.services.transition inside its transaction after each move.

    Keeps the one pending deadline equal to the current stage's on-time move, and returns the
    events the move produces."""
    from workflows.models import Deadline

    pending = Deadline.objects.filter(record_type=c._meta.label_lower, record_id=str(c.pk), done_at__isnull=True)
    if (move.payload or {}).get("deadline"):  # the engine is applying that deadline and records its outcome itself
        pending = pending.exclude(pk=move.payload["deadline"])
    pending.update(done_at=timezone.now(), outcome="cancelled: the stage moved")
    stage = Stage.objects.filter(consultation=c, name=c.state).first()
    name = on_time_move(c)
    if name and stage is not None:
        deadline_schedule(c, transition=name, due_at=stage.ends_at)
    base = {
        "title": c.title,
        "url": _url(c),
        "state": c.state,
        "state_label": str(State(c.state).label),
        "from_state": move.source,
        "reason": move.reason,
    }
    common = {
        "audience": {"followers": True},
        "organisation_id": c.organisation_id,
        "record_type": c._meta.label_lower,
        "record_id": c.pk,
    }
    events = []
    if move.target in (*HEARING_STAGES, State.DECIDING, State.IMPLEMENTING):
        data = base | {
            "stage": c.state,
            "ends_at": stage.ends_at.isoformat() if stage else None,
            "early": move.name.endswith("_early"),
        }
        events.append({"event": "consultation.stage_opened", "data": data, **common})
    if move.target == State.DECIDED:
        decision = Decision.objects.filter(consultation=c).first()
        data = base | {
            "rationale": decision.rationale[:500] if decision else "",
            "council_resolution": decision.council_resolution if decision else "",
        }
        events.append({"event": "consultation.decision_published", "data": data, **common})
    if move.target == State.DECIDING:  # on the clerks' desk: the decision is due
        data = base | {"url": reverse("consultations:decision", args=[c.pk])}
        events.append({"event": "consultation.decision_due", "data": data, **common, "audience": {"roles": ["clerk", "admin"]}})
    if move.target in (State.CLOSED, State.CANCELLED):
        events.append({"event": "consultation.closed", "data": base | {"cancelled": move.target == State.CANCELLED}, **common})
    return events


def closing_soon_send(*, now=None) -> int:
    """Announce every open stage that ends within its organisation's reminder window. Once per stage."""
    now = now or timezone.now()
    sent = 0
    candidates = (
        Stage.objects.select_related("consultation")
        .filter(closing_soon_sent_at__isnull=True, ends_at__gt=now, consultation__state__in=HEARING_STAGES)
        .order_by("ends_at")
    )
    for stage in candidates:
        c = stage.consultation
        if c.state != stage.name:
            continue
        days = ConsultationPolicy.for_organisation(c.organisation_id).closing_soon_days
        if stage.ends_at - now > dt.timedelta(days=days):
            continue
        with transaction.atomic():
            claimed = Stage.objects.filter(pk=stage.pk, closing_soon_sent_at__isnull=True).update(closing_soon_sent_at=now)
            if not claimed:
                continue
            outbox_write(
                event="consultation.closing_soon",
                data={
                    "title": c.title,
                    "url": _url(c),
                    "stage": stage.name,
                    "stage_label": str(State(stage.name).label),
                    "due_date": stage.ends_at.isoformat(),
                },
                audience={"followers": True},
                organisation_id=c.organisation_id,
                record_type=c._meta.label_lower,
                record_id=c.pk,
            )
        sent += 1
    return sent


def consultation_move(
    *, consultation: Consultation, actor, name: str, reason: str = "", confirm: bool | None = None
) -> Consultation:
    """A staff stage control from the pages: the engine's transition, nothing else (`confirm`: the
    page's checkbox, for the moves a person must confirm, workflows.confirm)."""
    from workflows.services import transition

    if not name:
        raise TransitionNotAllowed()
    return transition(consultation, name, actor=actor, reason=reason, confirm=confirm)
