"""Pages of the consultations app. Every form posts to a small view that calls one service and
redirects back; domain errors become messages. Pages work without JS; htmx swaps sections in
place where it helps (support, vote)."""

from __future__ import annotations

import re
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.fields import format_be
from accounts.models import Village
from accounts.redirects import safe_next
from accounts.selectors import staff_organisations
from accounts.thai import format_datetime
from workflows.confirm import ConfirmationRequired, refused
from workflows.errors import ApplicationError, NotFound, ValidationFailed, error_text
from workflows.filters import for_page, form_fields
from workflows.paging import page_for
from workflows.services import available_transitions

from . import api, rules, selectors, services
from .filters import PROBLEM_ORDERING, ConsultationFilter, ProblemFilter
from .forms import (
    AlternativeForm,
    BallotForm,
    CommentForm,
    ConsultationForm,
    DecisionForm,
    DocumentForm,
    EditForm,
    MergeForm,
    ModerationForm,
    MoveForm,
    OrganisationForm,
    ProblemForm,
    ProgressForm,
    ReportForm,
    ScheduleForm,
    StageExtendForm,
    SupportForm,
    WithdrawForm,
)
from .models import Consultation, Problem, ReasonCode, State, stages_for_level


def _consultation(request, pk) -> Consultation:
    try:
        return selectors.consultation_get(pk, request.user)
    except NotFound:
        raise Http404 from None


def posted(form_class, request, **kwargs) -> dict:
    """The cleaned data of `form_class` bound to the POST; ValidationFailed (a message on the page)
    naming each field that is not valid."""
    return valid(form_class(request.POST, **kwargs))


def valid(form) -> dict:
    if not form.is_valid():
        details = {}
        for name, errors in form.errors.items():
            label = form.fields[name].label if name in form.fields else ""
            details[name] = [f"{label}: {error}" if label else error for error in errors]
        raise ValidationFailed(details=details)
    return form.cleaned_data


def _error_text(exc: ApplicationError) -> str:
    return error_text(exc)


KEPT_FIELDS = {"problem": ("title", "body"), "alternative": ("title", "body"), "comment": ("body",)}


def _posted_id(value):
    value = str(value or "").strip()
    return int(value) if value.isascii() and value.isdigit() and 0 < len(value) < 19 else None


def _kept(request, kind: str, exc: ApplicationError) -> dict:
    """What a refused writing form had (its text, where it was, the errors): the page shows it again
    in that form (templatetags/kept.py) instead of losing it."""
    kept = {"kind": kind, "errors": [_error_text(exc)]}
    kept |= {name: request.POST.get(name, "") for name in KEPT_FIELDS[kind]}
    if kind == "comment":
        kept |= {name: _posted_id(request.POST.get(name)) for name in ("parent_id", "problem_id", "alternative_id")}
    if kind == "alternative":
        kept["problem_ids"] = {i for i in map(_posted_id, request.POST.getlist("problem_ids")) if i}
    return kept


def action(anchor: str = "", *, keep: str = ""):
    """Wrap a POST handler: it calls a service; errors become a message; then back to the page.
    With `keep` (a resident's writing form: problem, alternative, comment), a refusal renders the
    page again with the error status, what was written kept in its form and the errors beside it."""

    def decorate(fn):
        @wraps(fn)
        @login_required
        @require_POST
        def view(request, pk, *args, **kwargs):
            c = _consultation(request, pk)
            try:
                done = fn(request, c, *args, **kwargs)
            except ConfirmationRequired as exc:
                return refused(request, exc, reverse("consultations:detail", args=[c.pk]) + (f"#{anchor}" if anchor else ""))
            except ApplicationError as exc:
                if keep:
                    if not isinstance(exc, ValidationFailed):  # refused by a rule: the form may not be on the page
                        messages.error(request, _error_text(exc))
                    return consultation_detail(request, pk, refused=_kept(request, keep, exc), status=exc.status)
                messages.error(request, _error_text(exc))
            else:
                if done:
                    messages.success(request, done)
            target = safe_next(request, request.POST.get("next"), "consultations:detail", c.pk)
            return redirect(target + (f"#{anchor}" if anchor and "#" not in target else ""))

        return view

    return decorate


# --- list and calendar ---------------------------------------------------------------------------


def _calendar_month(raw: str) -> tuple[int, int] | None:
    """`?month=YYYY-MM` (1900–2200) as (year, month); None when it is not one."""
    match = re.fullmatch(r"([0-9]{4})-([0-9]{2})", raw)
    if not match or not 1900 <= int(match[1]) <= 2200 or not 1 <= int(match[2]) <= 12:
        return None
    return int(match[1]), int(match[2])


def consultation_list(request):
    """The consultations (consultations.filters.ConsultationFilter, as the API's; numbered pages)
    and the month's activity calendar. Refused values are a 400 showing why."""
    today = timezone.localdate()
    raw = request.GET.get("month", "")
    month = _calendar_month(raw) if raw else (today.year, today.month)
    base = selectors.consultation_list(request.user)
    filterset = ConsultationFilter(request.GET, queryset=base, request=request)
    queryset, _ordering, filter_errors = for_page(filterset, base.none())
    consultations, pager, paging_errors = page_for(request.GET, queryset.prefetch_related("stages"))
    filter_errors += paging_errors
    bad_month = month is None
    if bad_month:
        filter_errors.append(_("Month: give a year and month such as %(example)s.") % {"example": today.strftime("%Y-%m")})
    year, month = month or (today.year, today.month)
    villages = Village.objects.order_by("number").values_list("number", "name")
    context = {
        "consultations": consultations,
        "pager": pager,
        "calendar": selectors.month_calendar(request.user, year, month),
        "can_create": bool(staff_organisations(request.user)),
        "filter_fields": form_fields(
            filterset, options={"village": [("", _("All")), *{n: f"หมู่ที่ {n} {name}".strip() for n, name in villages}.items()]}
        ),
        "filter_errors": filter_errors,
        "filter_keep": [("month", raw)] if raw and not bad_month else [],
        "filtering": any(request.GET.get(name) for name in ConsultationFilter.base_filters),
    }
    return render(request, "consultations/list.html", context, status=400 if filter_errors else 200)


@login_required
def consultation_new(request):
    orgs = staff_organisations(request.user)
    if not orgs:
        raise Http404
    form = ConsultationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        chosen = OrganisationForm(request.POST)
        chosen = chosen.cleaned_data["organisation"] if chosen.is_valid() else None
        organisation = next((o for o in orgs if o.pk == chosen), orgs[0])
        try:
            c = services.consultation_create(organisation=organisation, actor=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            messages.error(request, _error_text(exc))
        else:
            messages.success(request, _("Consultation created. Set its schedule, then publish it."))
            return redirect("consultations:detail", c.pk)
    return render(request, "consultations/form.html", {"form": form, "organisations": orgs})


# --- detail ----------------------------------------------------------------------------------------


def _results_chart(results: dict | None) -> dict | None:
    """Rows for the results chart: the labels and counts are HTML text (they wrap and keep the page's
    font size on a phone); each bar is a small SVG whose length is the share of the top count."""
    if not results:
        return None
    rows = results["alternatives"]
    top = max([r["votes"] for r in rows] + [1])
    return {
        "bars": [r | {"w": round(100 * r["votes"] / top, 1)} for r in rows],
        "winners": [r for r in rows if r["winner"]],
    }


def consultation_detail(request, pk, *, refused=None, status=200):
    c = _consultation(request, pk)
    order = ProblemFilter({"ordering": request.GET.get("ordering", "")}, queryset=Problem.objects.none(), request=request)
    problem_errors = (
        [] if order.is_valid() else [f"{_('Sort problems by')}: {' '.join(str(m) for m in order.errors['ordering'])}"]
    )
    chosen = order.form.cleaned_data.get("ordering") if not problem_errors else ""
    try:
        problem_order = selectors.problem_ordering(c, chosen or "", api.order_seed(request, c))
    except ValidationFailed as exc:
        problem_errors, chosen = [f"{_('Sort problems by')}: {_error_text(exc)}"], ""
        problem_order = selectors.problem_ordering(c, "", api.order_seed(request, c))
    chosen = chosen or ("random" if selectors.supports_open(c) else ProblemFilter.DEFAULT_ORDERING)
    context = selectors.detail(c, request.user, problem_order=problem_order)
    staff = (
        rules.can("add_document", request.user, c)
        or rules.can("moderate", request.user, c)
        or rules.effective_roles(request.user, c.organisation_id) & rules.STAFF
    )
    moves = available_transitions(c, request.user) if request.user.is_authenticated and staff else []
    context.update(
        {
            "moves": moves,
            "staff": bool(staff),
            "chart": _results_chart(context["results"]),
            "reason_codes": ReasonCode.choices,
            "level_stages": stages_for_level(c.level),
            "stage_end": c.stage_end(),
            "stage_end_local": timezone.localtime(c.stage_end()).strftime("%Y-%m-%dT%H:%M") if c.stage_end() else "",
            "stage_running": bool(c.stage_end() and c.stage_end() > timezone.now()),
            "schedule_fields": _schedule_fields(c) if c.state == State.DRAFT and staff else None,
            "is_draft": c.state == State.DRAFT,
            "held_back": rules.held_back(request.user, c),
            "share_url": request.build_absolute_uri(c.get_absolute_url()),
            "problem_sorts": [
                (value, label, value == chosen)
                for value, label in PROBLEM_ORDERING
                if value != "most_supported" or not selectors.supports_open(c)  # not while supports are open
            ],
            "problem_errors": problem_errors,
        }
    )
    context["refused"] = refused or {}
    return render(request, "consultations/detail.html", context, status=400 if problem_errors else status)


def _schedule_fields(c: Consultation) -> dict:
    saved = {s.name: s for s in c.stages.all()}
    names = stages_for_level(c.level)
    first = saved.get(names[0])
    return {  # Buddhist Era, as staff read dates everywhere else (accounts/fields.py)
        "start": format_be(first.starts_at) if first else "",
        "ends": [
            {
                "name": n,
                "label": State(n).label,
                "value": format_be(saved[n].ends_at) if n in saved else "",
            }
            for n in names
        ],
    }


@action("staff")
def schedule_set(request, c):
    form = ScheduleForm(request.POST, stages=stages_for_level(c.level))
    valid(form)
    services.consultation_schedule_set(consultation=c, actor=request.user, stages=form.schedule())
    return _("Schedule saved.")


@action("staff")
def move(request, c):
    services.consultation_move(consultation=c, actor=request.user, **posted(MoveForm, request))
    return _("Done: the consultation is now “%(state)s”.") % {"state": Consultation.objects.get(pk=c.pk).get_state_display()}


@action("staff")
def stage_extend(request, c):
    stage = services.consultation_stage_extend(consultation=c, actor=request.user, **posted(StageExtendForm, request))
    return _("The stage now ends on %(date)s; followers have been told.") % {"date": format_datetime(stage.ends_at)}


@action("documents")
def document_add(request, c):
    services.document_add(consultation=c, actor=request.user, **posted(DocumentForm, request))
    return _("Document added.")


@action("problems", keep="problem")
def problem_submit(request, c):
    p = services.problem_submit(consultation=c, actor=request.user, **posted(ProblemForm, request))
    return (
        _("Thank you. Your problem is waiting for moderation.")
        if p.visibility == "pending"
        else _("Thank you. Your problem was added.")
    )


@action("problems")
def problem_support(request, c, problem_pk):
    problem = Problem.objects.filter(consultation=c, pk=problem_pk).first()
    if problem is None:
        raise NotFound()
    support = posted(SupportForm, request)["support"] != "0"
    services.problem_support(problem=problem, actor=request.user, support=support)
    return ""


@action("problems")
def problem_merge(request, c, problem_pk):
    data = posted(MergeForm, request)
    problem = Problem.objects.filter(consultation=c, pk=problem_pk).first()
    into = Problem.objects.filter(consultation=c, pk=data["into"]).first()
    if problem is None or into is None:
        raise NotFound(_("Choose the problem to merge into."))
    services.problem_merge(problem=problem, into=into, actor=request.user, reason=data["reason"])
    return _("Merged.")


@action("alternatives", keep="alternative")
def alternative_create(request, c):
    a = services.alternative_create(consultation=c, actor=request.user, **posted(AlternativeForm, request))
    return _("Your alternative is waiting for moderation.") if a.visibility == "pending" else _("Alternative added.")


@action("comments", keep="comment")
def comment_post(request, c):
    services.comment_post(consultation=c, actor=request.user, **posted(CommentForm, request))
    return _("Comment posted.")


@login_required
@require_POST
def contribution_edit(request, pk, kind, object_id):
    """The author's own edit (within the window), back to where it is."""
    return _own_act(request, pk, kind, object_id, EditForm, services.contribution_edit, _("Saved."))


@login_required
@require_POST
def contribution_withdraw(request, pk, kind, object_id):
    """The author's withdrawal, with a reason."""
    done = _("Withdrawn. It now reads “withdrawn by its author”.")
    return _own_act(request, pk, kind, object_id, WithdrawForm, services.contribution_withdraw, done)


def _own_act(request, pk, kind, object_id, form_class, service, done: str):
    c = _consultation(request, pk)
    if kind not in ("problem", "alternative", "comment"):
        raise Http404
    try:
        service(consultation=c, actor=request.user, kind=kind, object_id=object_id, **posted(form_class, request))
    except ApplicationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, done)
    return redirect(reverse("consultations:detail", args=[c.pk]) + f"#{kind}-{object_id}")


@action("comments")
def report_file(request, c):
    services.report_file(consultation=c, actor=request.user, **posted(ReportForm, request))
    return _("Thank you. A moderator will look at it.")


@action("ballot")
def ballot_cast(request, c):
    services.ballot_cast(consultation=c, actor=request.user, **posted(BallotForm, request))
    return _("Your vote is recorded. You can change it until voting closes.")


@action("progress")
def progress_post(request, c):
    services.progress_update_post(consultation=c, actor=request.user, **posted(ProgressForm, request))
    return _("Progress update published.")


# --- staff pages -------------------------------------------------------------------------------------


@login_required
def moderation(request, pk):
    c = _consultation(request, pk)
    if request.method == "POST":
        try:
            data = posted(ModerationForm, request)
            services.moderation_decide(consultation=c, actor=request.user, **data)
            messages.success(
                request,
                _("Reports dismissed; the text stays.")
                if data["outcome"] == "dismiss"
                else _("Moderation saved; the author has been told."),
            )
        except ApplicationError as exc:
            # Refused: the page comes back with the reason the moderator typed, in the item's form.
            kept = {
                "kind": "moderation", "errors": [_error_text(exc)], "item_kind": request.POST.get("kind", ""),
                "object_id": _posted_id(request.POST.get("object_id")), "reason": request.POST.get("reason", ""),
                "reason_code": request.POST.get("reason_code", ""),
            }  # fmt: skip
            if request.POST.get("next"):  # from the public page: that page, at the item
                return consultation_detail(request, pk, refused=kept, status=exc.status)
            if not rules.can("moderate", request.user, c):
                raise Http404 from None
            return _moderation_page(request, c, refused=kept, status=exc.status)
        # From the public page a moderator goes back to where they read (next=/consultations/7/#comment-3).
        return redirect(safe_next(request, request.POST.get("next"), "consultations:moderation", c.pk))
    if not rules.can("moderate", request.user, c):
        raise Http404
    return _moderation_page(request, c)


def _moderation_page(request, c, *, refused=None, status=200):
    context = {
        "consultation": c, "items": selectors.moderation_queue(c), "reason_codes": ReasonCode.choices, "refused": refused or {},
    }  # fmt: skip
    return render(request, "consultations/moderation.html", context, status=status)


@login_required
def decision_form(request, pk):
    c = _consultation(request, pk)
    if not rules.can("record_decision", request.user, c):
        raise Http404
    status = 200
    if request.method == "POST":
        form = DecisionForm(request.POST)
        try:
            data = valid(form)
            services.decision_record(
                consultation=c,
                actor=request.user,
                chosen_ids=data["chosen_ids"],
                rationale=data["rationale"],
                council_resolution=data["council_resolution"],
                alternative_answers=form.answers("alt"),
                problem_answers=form.answers("prob"),
            )
        except ApplicationError as exc:
            messages.error(request, _error_text(exc))
            status = 400
        else:
            messages.success(request, _("Decision saved. Publish it with “Publish the decision”."))
            return redirect(reverse("consultations:detail", args=[c.pk]) + "#staff")
    context = selectors.detail(c, request.user)
    context["decision_draft"] = selectors.decision_public(c, request.user)
    context["supported_problems"] = list(selectors.supported_problems(c))
    return render(request, "consultations/decision_form.html", context, status=status)


def record(request, pk):
    c = _consultation(request, pk)
    return render(request, "consultations/record.html", {"consultation": c, "record": selectors.participation_record(c)})


def record_csv(request, pk):
    return api.record_csv(request, pk)
