"""Reads of the consultations app, shared by the API and the pages so the two never disagree."""

from __future__ import annotations

import calendar
import datetime as dt
from collections import Counter, defaultdict

from django.db.models import CharField, Count, Prefetch, Q, Sum, Value
from django.db.models.functions import MD5, Cast, Concat
from django.utils import timezone, translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from accounts import thai
from accounts.models import Village
from workflows.errors import NotFound, PermissionDenied, ValidationFailed
from workflows.models import AuditEntry

from . import rules
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
    Level,
    Problem,
    Report,
    Stage,
    State,
    Support,
    VillageMeeting,
    VillageMeetingCount,
    Visibility,
    path_for_level,
)

VOTING_OR_BEFORE = (State.DRAFT, *HEARING_STAGES)


def visible_consultations(user):
    return Consultation.objects.filter(~Q(state=State.DRAFT) | Q(organisation_id__in=_staff_org_ids(user)))


def _staff_org_ids(user) -> list[int]:
    if not getattr(user, "is_authenticated", False):
        return []
    from accounts.models import STAFF_ROLES, Membership

    return list(Membership.objects.filter(user=user, role__in=STAFF_ROLES).values_list("organisation_id", flat=True))


def consultation_list(user, *, state: str | None = None):
    qs = visible_consultations(user).select_related("organisation").prefetch_related("stages")
    if state:
        qs = qs.filter(state=state)
    return qs.order_by("-created_at", "-id")


def consultation_get(pk, user) -> Consultation:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound() from None
    c = (
        Consultation.objects.select_related("organisation", "decision")
        .prefetch_related("stages", "documents", "villages")
        .filter(pk=pk)
        .first()
    )
    if c is None or not rules.may_see(user, c):
        raise NotFound()
    return c


# --- tallies and decisions -----------------------------------------------------------------------------


def _online_counts(c: Consultation) -> dict[int, int]:
    return dict(
        BallotChoice.objects.filter(ballot__consultation=c)
        .values_list("alternative_id")
        .annotate(n=Count("id"))
        .values_list("alternative_id", "n")
    )


def meeting_counts(c: Consultation) -> dict[int, int]:
    """Votes per alternative at the village meetings (consultations.meetings), summed."""
    return dict(
        VillageMeetingCount.objects.filter(meeting__consultation=c)
        .values_list("alternative_id")
        .annotate(n=Sum("votes"))
        .values_list("alternative_id", "n")
    )


def _sum(online: dict, meetings: dict) -> dict[int, int]:
    return {a: online.get(a, 0) + meetings.get(a, 0) for a in set(online) | set(meetings)}


def tally(c: Consultation) -> dict:
    """{"ballots": n, "counts": {alternative_id: votes}}: exact, straight from the online ballots
    plus the village meetings' counts (results() shows the two apart)."""
    return {"ballots": Ballot.objects.filter(consultation=c).count(), "counts": _sum(_online_counts(c), meeting_counts(c))}


def village_meetings(c: Consultation) -> list[dict]:
    """The village meetings entered for a consultation, each with its counts per alternative."""
    names = dict(Alternative.objects.filter(consultation=c).values_list("pk", "title"))
    out = []
    for m in VillageMeeting.objects.filter(consultation=c).select_related("village").prefetch_related("counts"):
        out.append(
            {
                "id": m.pk, "held_on": m.held_on, "place": m.place, "method": m.method,
                "method_label": m.get_method_display(), "attendance": m.attendance,
                "village": m.village.number if m.village else None, "minutes_url": m.minutes.url if m.minutes else "",
                "counts": [{"alternative_id": n.alternative_id, "title": names.get(n.alternative_id, ""), "votes": n.votes}
                           for n in sorted(m.counts.all(), key=lambda n: n.alternative_id)],
            }
        )  # fmt: skip
    return out


def winners(c: Consultation, counts: dict | None = None) -> set[int]:
    counts = tally(c)["counts"] if counts is None else counts
    if not counts or max(counts.values()) == 0:
        return set()
    top = max(counts.values())
    return {a for a, n in counts.items() if n == top}


def results_visible(c: Consultation) -> bool:
    if c.state in VOTING_OR_BEFORE[:-1]:
        return False
    if c.state == State.DELIBERATION:
        return c.show_tallies_during_voting
    return c.state != State.CANCELLED or Ballot.objects.filter(consultation=c).exists()


def results(c: Consultation) -> dict:
    if not results_visible(c):
        raise PermissionDenied(_("The results are published when voting closes."), code="results_hidden")
    online, at_meetings = _online_counts(c), meeting_counts(c)
    t = {"ballots": Ballot.objects.filter(consultation=c).count(), "counts": _sum(online, at_meetings)}
    alts = list(Alternative.objects.filter(consultation=c, visibility=Visibility.PUBLISHED).order_by("id"))
    win = winners(c, t["counts"])
    rows = [
        {
            "id": a.pk,
            "title": a.title,
            "votes": t["counts"].get(a.pk, 0),
            "online_votes": online.get(a.pk, 0),
            "meeting_votes": at_meetings.get(a.pk, 0),
            "winner": a.pk in win,
        }  # fmt: skip
        for a in alts
    ]
    meetings = village_meetings(c)
    return {
        "final": c.state not in VOTING_OR_BEFORE, "voting": c.voting, "ballots": t["ballots"], "alternatives": rows,
        "meetings": meetings, "meeting_attendance": sum(m["attendance"] for m in meetings),
    }  # fmt: skip


def supported_problems(c: Consultation):
    return (
        Problem.objects.filter(consultation=c, visibility=Visibility.PUBLISHED)
        .annotate(n_supports=Count("supports"))
        .filter(n_supports__gt=0)
    )


def decision_missing_answers(c: Consultation) -> list[str]:
    if not Decision.objects.filter(consultation=c).exists():
        return ["decision"]
    missing = [
        f"alternative:{pk}"
        for pk in Alternative.objects.filter(consultation=c, visibility=Visibility.PUBLISHED, response="").values_list(
            "pk", flat=True
        )
    ]
    missing += [f"problem:{pk}" for pk in supported_problems(c).filter(response="").values_list("pk", flat=True)]
    return missing


def decision_ignores_winner(c: Consultation) -> bool:
    if c.level != Level.EMPOWER:
        return False
    win = winners(c)
    if not win:
        return False
    chosen = set(Decision.chosen.through.objects.filter(decision__consultation=c).values_list("alternative_id", flat=True))
    return not (chosen & win)


# --- the author's own edits (services.contribution_edit / contribution_withdraw) ---------------------

EDITABLE = (Visibility.PUBLISHED, Visibility.PENDING)


def post_rule(item) -> str:
    """The rule that let the author post `item`: editing it needs the same one (stage and role)."""
    if isinstance(item, Problem):
        return "submit_problem"
    if isinstance(item, Alternative):
        return "draft_alternative" if item.by_staff else "propose_alternative"
    return "comment_official" if item.official else "comment"


def contribution_answered(item) -> bool:
    """Someone other than the author has supported, voted for, replied to or answered it."""
    if getattr(item, "response", ""):
        return True
    others = ~Q(author_id=item.author_id)
    if isinstance(item, Problem):
        return (
            Support.objects.filter(problem=item).exclude(user_id=item.author_id).exists()
            or Comment.objects.filter(others, problem=item).exists()
        )
    if isinstance(item, Alternative):
        return (
            item.adopted
            or BallotChoice.objects.filter(alternative=item).exists()
            or Comment.objects.filter(others, alternative=item).exists()
        )
    return Comment.objects.filter(others, Q(parent=item) | Q(reply_to=item)).exists()


def edit_refusal(item, c: Consultation, *, now=None, minutes: int | None = None) -> str | None:
    """None when the author may still edit `item`, else the 409 code: edit_window_closed, or
    already_answered (someone supported or answered it)."""
    if minutes is None:
        minutes = ConsultationPolicy.for_organisation(c.organisation_id).edit_minutes
    if (now or timezone.now()) - item.created_at > dt.timedelta(minutes=minutes):
        return "edit_window_closed"
    if contribution_answered(item):
        return "already_answered"
    return None


def own_actions(c: Consultation, user, items) -> None:
    """Mark each of `user`'s own items with what they may still do to it: .can_edit (the post rule,
    the window, nobody answered) and .can_withdraw. Others' items get False for both."""
    if not getattr(user, "is_authenticated", False):
        return
    may = rules.allowed_actions(user, c)
    now, minutes = timezone.now(), ConsultationPolicy.for_organisation(c.organisation_id).edit_minutes
    for item in items:
        own = item.author_id == user.pk and item.visibility in EDITABLE
        item.can_edit = own and may.get(post_rule(item), False) and edit_refusal(item, c, now=now, minutes=minutes) is None
        item.can_withdraw = own and may["withdraw"]


# --- the detail page and its API ---------------------------------------------------------------------


def _visible_filter(user, c: Consultation, moderator: bool) -> Q:
    if moderator:
        return Q()
    # Withdrawn ones stay in place (replies keep their context); pages and the API show
    # "withdrawn by its author" instead of their text (Contribution.shown_title / shown_body).
    q = Q(visibility__in=[Visibility.PUBLISHED, Visibility.WITHDRAWN])
    if getattr(user, "is_authenticated", False):
        q |= Q(author=user) & ~Q(visibility=Visibility.MERGED)
    return q


def supports_open(c: Consultation) -> bool:
    """Whether residents may still support problems (the stages of rules.RULES["support_problem"])."""
    return c.state in rules.RULES["support_problem"].states


def problem_ordering(c: Consultation, chosen: str = "", seed: str = "") -> tuple:
    """The problems' order_by for the sort `chosen` (consultations.filters.ProblemFilter; "" for the
    default). While supports are open the default is a neutral order, md5(id || the visitor's
    seed): random per visitor and the same on every request of theirs, so no problem is first for
    everyone and the first one raised does not gather the supports; sorting by support waits until
    supports close (400 before), and is the default after."""
    from .filters import ProblemFilter

    chosen = chosen or ("random" if supports_open(c) else ProblemFilter.DEFAULT_ORDERING)
    if chosen == "most_supported" and supports_open(c):
        raise ValidationFailed(details={"ordering": [_("Sorting by support is possible once supports close.")]})
    if chosen == "random":
        return (MD5(Concat(Cast("id", CharField()), Value(seed or ""))).asc(), "id")
    return ProblemFilter.ORDERINGS[chosen]


def _problem_filter(user, c: Consultation, moderator: bool) -> Q:
    # A moderator's filter is Q(), and Q() | Q(x) is Q(x): combined, staff would see merged problems only.
    return Q() if moderator else _visible_filter(user, c, moderator) | Q(visibility=Visibility.MERGED)


def problems_for(c: Consultation, user, *, moderator: bool = False, seed: str = ""):
    """`seed`: the visitor's, for the neutral order while supports are open (problem_ordering)."""
    return (
        Problem.objects.filter(consultation=c)
        .filter(_problem_filter(user, c, moderator))
        .select_related("village", "merged_into")
        .annotate(n_supports=Count("supports"))
        .order_by(*problem_ordering(c, "", seed))
    )


def problem_counted(c: Consultation, pk: int) -> Problem:
    """One problem of `c` with its supporter count, whatever its visibility: what a staff act on it
    (a merge) answers with, so the answer never depends on a listing's filter."""
    return Problem.objects.filter(consultation=c).select_related("village").annotate(n_supports=Count("supports")).get(pk=pk)


def alternatives_for(c: Consultation, user, *, moderator: bool = False):
    return (
        Alternative.objects.filter(consultation=c)
        .filter(_visible_filter(user, c, moderator))
        .prefetch_related(Prefetch("problems", queryset=Problem.objects.only("id", "title", "visibility", "consultation_id")))
        .order_by("id")
    )


def comments_visible(c: Consultation, user, *, moderator: bool = False):
    """The comments `user` may read: their own visibility, and the problem or alternative they hang
    on must be one `user` may read too (a removed problem's discussion goes with it, on the page
    and in the API alike)."""
    qs = Comment.objects.filter(consultation=c).filter(_visible_filter(user, c, moderator))
    if moderator:
        return qs
    problems = Problem.objects.filter(consultation=c).filter(_problem_filter(user, c, moderator)).values("pk")
    alternatives = Alternative.objects.filter(consultation=c).filter(_visible_filter(user, c, moderator)).values("pk")
    return qs.filter(Q(problem__isnull=True) | Q(problem__in=problems)).filter(
        Q(alternative__isnull=True) | Q(alternative__in=alternatives)
    )


def comments_for(c: Consultation, user, *, moderator: bool = False) -> list[Comment]:
    return list(comments_visible(c, user, moderator=moderator).select_related("author", "reply_to__author").order_by("id"))


def comment_threads(comments: list[Comment]) -> dict:
    """{"consultation": [roots], ("problem", id): [roots], ("alternative", id): [roots]}; each has .children."""
    by_id = {cm.pk: cm for cm in comments}
    threads: dict = defaultdict(list)
    for cm in comments:
        cm.children = []
    for cm in comments:
        parent = by_id.get(cm.parent_id)
        while parent is not None and parent.depth >= MAX_REPLY_DEPTH:  # a thread older than the limit shows 3 deep too
            parent = by_id.get(parent.parent_id)
        if parent is not None:
            parent.children.append(cm)
        elif cm.problem_id:
            threads[("problem", cm.problem_id)].append(cm)
        elif cm.alternative_id:
            threads[("alternative", cm.alternative_id)].append(cm)
        else:
            threads["consultation"].append(cm)
    return threads


def detail(c: Consultation, user, *, problem_order: tuple = ()) -> dict:
    """Everything the detail page shows, in a bounded number of queries (`problem_order`: the
    problems' order_by, problem_ordering's default when empty; consultations.filters.ProblemFilter)."""
    can = rules.allowed_actions(user, c)
    moderator = can["moderate"]
    problems = problems_for(c, user, moderator=moderator)
    problems = list(problems.order_by(*problem_order) if problem_order else problems)
    alternatives = list(alternatives_for(c, user, moderator=moderator))
    comments = comments_for(c, user, moderator=moderator)
    threads = comment_threads(comments)
    for p in problems:
        p.thread = threads.get(("problem", p.pk), [])
    for a in alternatives:
        a.thread = threads.get(("alternative", a.pk), [])
    own_actions(c, user, [*problems, *alternatives, *comments])
    if moderator:  # staff act where they read: each item carries its open reports
        reports = open_reports(c)
        for kind, items in (("problem", problems), ("alternative", alternatives), ("comment", comments)):
            for item in items:
                item.kind, item.reports = kind, reports.get((kind, item.pk), [])
    supported, my_choices = set(), set()
    if getattr(user, "is_authenticated", False):
        supported = set(Support.objects.filter(problem__consultation=c, user=user).values_list("problem_id", flat=True))
        my_choices = set(
            BallotChoice.objects.filter(ballot__consultation=c, ballot__voter=user).values_list("alternative_id", flat=True)
        )
    decision = (
        getattr(c, "decision", None) if c.state in (State.DECIDING, State.DECIDED, State.IMPLEMENTING, State.CLOSED) else None
    )
    res = results(c) if results_visible(c) else None
    eligible_villages = list(c.villages.all())
    can_vote = can["vote"] and (not eligible_villages or getattr(user, "village_id", None) in {v.pk for v in eligible_villages})
    return {
        "consultation": c,
        "can": can | {"vote": can_vote},
        "problems": problems,
        "alternatives": alternatives,
        "public_alternatives": [a for a in alternatives if a.visibility == Visibility.PUBLISHED],
        "comments": threads.get("consultation", []),
        "supported": supported,
        "supports_open": supports_open(c),
        "my_choices": my_choices,
        "decision": decision,
        "chosen": list(decision.chosen.all()) if decision else [],
        "results": res,
        "stages": schedule(c),
        "documents": list(c.documents.all()),
        "progress": list(c.progress_updates.all()) if c.state in (State.IMPLEMENTING, State.CLOSED) else [],
        "eligible_villages": eligible_villages,
    }


def schedule(c: Consultation) -> list[dict]:
    by_name = {s.name: s for s in c.stages.all()}
    path = path_for_level(c.level)
    current = path.index(c.state) if c.state in path else -1
    rows = []
    for i, name in enumerate(path[1:-1], start=1):
        s = by_name.get(name)
        rows.append(
            {
                "name": name,
                "label": State(name).label,
                "starts_at": s.starts_at if s else None,
                "ends_at": s.ends_at if s else None,
                "current": i == current,
                "done": current >= 0 and i < current,
            }
        )
    return rows


def open_reports(c: Consultation) -> dict[tuple[str, int], list[Report]]:
    """(kind, object_id) → the open reports on it, oldest first: what each reporter chose and wrote."""
    found: dict[tuple[str, int], list[Report]] = defaultdict(list)
    for report in Report.objects.filter(consultation=c, resolved_at__isnull=True).order_by("created_at", "id"):
        found[(report.kind, report.object_id)].append(report)
    return found


def moderation_queue(c: Consultation) -> list:
    """Everything a moderator may act on: pending and hidden contributions, and published ones with
    open reports (each with its reports), oldest first."""
    items = []
    for kind, model in (("problem", Problem), ("alternative", Alternative), ("comment", Comment)):
        for item in model.objects.filter(consultation=c, visibility__in=[Visibility.PENDING, Visibility.HIDDEN]).select_related(
            "author"
        ):
            item.kind = kind
            items.append(item)
    reports = open_reports(c)
    for kind, model in (("problem", Problem), ("alternative", Alternative), ("comment", Comment)):
        ids = [oid for (k, oid) in reports if k == kind]
        for item in model.objects.filter(pk__in=ids, visibility=Visibility.PUBLISHED).select_related("author"):
            item.kind = kind
            items.append(item)
    for item in items:
        item.reports = reports.get((item.kind, item.pk), [])
        item.open_reports = len(item.reports)
    return sorted(items, key=lambda i: i.created_at)


# --- the participation record ("you said, we did") -----------------------------------------------------


def _moves(c: Consultation) -> list[dict]:
    return list(
        AuditEntry.objects.filter(record_type=c._meta.label_lower, record_id=str(c.pk), action=AuditEntry.Action.TRANSITION)
        .order_by("id")
        .values("name", "from_state", "to_state", "created_at", "reason")
    )


def participation_record(c: Consultation) -> dict:
    moves = _moves(c)
    opened = {m["to_state"]: m for m in moves}
    closed = {m["from_state"]: m for m in moves}
    stages = []
    for row in schedule(c):
        leave = closed.get(row["name"])
        stages.append(
            {
                "stage": row["name"],
                "label": str(row["label"]),
                "scheduled_start": row["starts_at"],
                "scheduled_end": row["ends_at"],
                "opened_at": opened[row["name"]]["created_at"] if row["name"] in opened else None,
                "closed_at": leave["created_at"] if leave else None,
                "closed_early": bool(leave and leave["name"].endswith("_early")),
                "early_reason": leave["reason"] if leave and leave["name"].endswith("_early") else "",
            }
        )

    public = Q(visibility=Visibility.PUBLISHED)
    withdrawn = Q(visibility=Visibility.WITHDRAWN)
    problems = list(
        Problem.objects.filter(consultation=c)
        .filter(public | Q(visibility=Visibility.MERGED) | withdrawn)
        .select_related("merged_into")
        .annotate(n_supports=Count("supports"))
        .order_by("id")
    )
    alternatives = list(
        Alternative.objects.filter(consultation=c).filter(public | withdrawn).prefetch_related("problems").order_by("id")
    )
    comments = comments_visible(c, None)
    counts = tally(c)["counts"] if results_visible(c) else {}

    # While the ballot is open its voters are not counted as participants (nor per village): the
    # record, its CSV and the open data would otherwise show the turnout as it grows, which the
    # results page itself keeps until voting closes.
    voting_open = c.state == State.DELIBERATION
    people: dict[int, int | None] = {}
    sources = [
        Problem.objects.filter(consultation=c).exclude(author=None).values_list("author_id", "village_id"),
        Alternative.objects.filter(consultation=c, by_staff=False).exclude(author=None).values_list("author_id", "village_id"),
        # Who took part counts every published comment, also those on a problem removed since.
        Comment.objects.filter(consultation=c, by_staff=False, visibility=Visibility.PUBLISHED)
        .exclude(author=None)
        .values_list("author_id", "village_id"),
        Support.objects.filter(problem__consultation=c).values_list("user_id", "village_id"),
    ]
    if not voting_open:
        sources.append(Ballot.objects.filter(consultation=c).values_list("voter_id", "village_id"))
    for source in sources:
        for user_id, village_id in source:
            if people.get(user_id) is None:
                people[user_id] = village_id
    villages = {v.pk: str(v) for v in Village.objects.filter(pk__in={v for v in people.values() if v})}
    by_village = Counter(people.values())
    decision = (
        Decision.objects.filter(consultation=c).first() if c.state in (State.DECIDED, State.IMPLEMENTING, State.CLOSED) else None
    )
    chosen = set(decision.chosen.values_list("pk", flat=True)) if decision else set()

    inputs = []
    for p in problems:
        inputs.append(
            {
                "type": "problem",
                "id": p.pk,
                "title": p.shown_title,
                "text": p.shown_body,
                "withdrawn": p.withdrawn,
                "supporters": p.n_supports,
                "merged_into": p.merged_into.title if p.merged_into_id else None,
                "answer": p.response if decision else "",
            }
        )
    for a in alternatives:
        inputs.append(
            {
                "type": "alternative",
                "id": a.pk,
                "title": a.shown_title,
                "text": a.shown_body,
                "withdrawn": a.withdrawn,
                "proposed_by": "staff" if a.by_staff else "resident",
                "votes": counts.get(a.pk, 0) if counts else None,
                "addresses": [p.title for p in a.problems.all()],
                "adopted": a.pk in chosen,
                "answer": a.response if decision else "",
            }
        )
    channels = [_("Online on Ruamkid")] + [line.strip() for line in c.channels.splitlines() if line.strip()]
    return {
        "id": c.pk,
        "topic": c.title,
        "summary": c.summary,
        "level": c.level,
        "level_label": str(Level(c.level).label),
        "state": c.state,
        "dates": {
            "published_at": opened[State.INFORMING]["created_at"] if State.INFORMING in opened else None,
            "decided_at": opened[State.DECIDED]["created_at"] if State.DECIDED in opened else None,
            "closed_at": opened[State.CLOSED]["created_at"] if State.CLOSED in opened else None,
            "stages": stages,
        },
        "channels": channels,
        "participants": {
            "total": len(people),
            "ballots_counted": not voting_open,
            "by_village": sorted(
                [{"village": villages.get(v, _("Village not given")), "count": n} for v, n in by_village.items()],
                key=lambda r: r["village"],
            ),
        },
        "said": {
            "problems": sum(1 for p in problems if p.visibility == Visibility.PUBLISHED),
            "supports": sum(p.n_supports for p in problems if not p.withdrawn),
            "alternatives": sum(1 for a in alternatives if not a.withdrawn),
            "alternatives_by_residents": sum(1 for a in alternatives if not a.by_staff and not a.withdrawn),
            "comments": comments.count(),
            "ballots": Ballot.objects.filter(consultation=c).count() if not voting_open and results_visible(c) else None,
            "top_problems": [
                p.title for p in sorted((p for p in problems if not p.withdrawn), key=lambda p: -p.n_supports)[:5] if p.n_supports
            ],
        },
        "decision": {
            "rationale": decision.rationale,
            "council_resolution": decision.council_resolution,
            "recorded_at": decision.recorded_at,
            "chosen": [a.title for a in alternatives if a.pk in chosen],
            "resident_alternatives_adopted": [a.title for a in alternatives if a.pk in chosen and not a.by_staff],
            "problems_addressed": sorted({p.title for a in alternatives if a.pk in chosen for p in a.problems.all()}),
        }
        if decision
        else None,
        "inputs": inputs,
        "progress": [
            {"at": u.created_at, "text": u.body, "percent_complete": u.percent_complete} for u in c.progress_updates.all()
        ],
    }


# --- the activity calendar ------------------------------------------------------------------------------


def month_calendar(user, year: int, month: int) -> dict:
    """A Sunday-first month grid (as on the municipality's "ปฏิทินกิจกรรม") with each day's stages."""
    language = (translation.get_language() or "th")[:2]
    cal = calendar.Calendar(firstweekday=6)
    weeks = cal.monthdatescalendar(year, month)
    first, last = weeks[0][0], weeks[-1][-1]
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(first, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    stages = (
        Stage.objects.filter(
            starts_at__lt=end, ends_at__gt=start, consultation__in=visible_consultations(user).exclude(state=State.DRAFT)
        )
        .select_related("consultation")
        .order_by("starts_at")
    )
    marks = defaultdict(list)
    for s in stages:
        day = max(timezone.localtime(s.starts_at).date(), first)
        stop = min(timezone.localtime(s.ends_at).date(), last)
        while day <= stop:
            marks[day].append({"consultation": s.consultation, "stage": s.name, "label": State(s.name).label})
            day += dt.timedelta(days=1)
    today = timezone.localdate()
    if language == "th":
        heading = f"{thai.THAI_MONTHS[month - 1]} {year + thai.BE_OFFSET}"
        weekdays = ["อา", "จ", "อ", "พ", "พฤ", "ศ", "ส"]
    else:
        heading = f"{thai.ENGLISH_MONTHS[month - 1]} {year}"
        weekdays = ["Su", "Mo", "Tu", "We", "Th", "Fr", "Sa"]
    prev_month = (dt.date(year, month, 1) - dt.timedelta(days=1)).replace(day=1)
    next_month = (dt.date(year, month, 28) + dt.timedelta(days=7)).replace(day=1)
    return {
        "heading": heading,
        "weekdays": weekdays,
        "weeks": [
            [{"date": d, "in_month": d.month == month, "today": d == today, "marks": marks.get(d, [])} for d in w] for w in weeks
        ],
        "prev": prev_month.strftime("%Y-%m"),
        "next": next_month.strftime("%Y-%m"),
        "today_label": thai.format_date(today, language),
    }


def home_summary(user) -> dict:
    qs = visible_consultations(user).exclude(state__in=[State.DRAFT, State.CANCELLED])
    open_now = qs.filter(state__in=HEARING_STAGES)
    return {
        "stats": [{"label": _("open now"), "value": open_now.count()}, {"label": _("in total"), "value": qs.count()}],
        "latest": [
            {"title": c.title, "url": c.get_absolute_url(), "badge": str(State(c.state).label), "date": c.created_at}
            for c in qs.order_by("-created_at")[:5]
        ],
    }


def detail_ballot(c: Consultation, user) -> dict:
    """The voter's own ballot (never anyone else's)."""
    ballot = Ballot.objects.filter(consultation=c, voter=user).first()
    return {
        "voted": ballot is not None,
        "alternative_ids": sorted(BallotChoice.objects.filter(ballot=ballot).values_list("alternative_id", flat=True))
        if ballot
        else [],
        "updated_at": ballot.updated_at if ballot else None,
        "can_change": rules.can("vote", user, c),
    }


def decision_public(c: Consultation, user) -> dict | None:
    """The published decision; while deciding, staff also see the draft."""
    decision = Decision.objects.filter(consultation=c).first()
    if decision is None:
        return None
    if c.state == State.DECIDING and not rules.can("record_decision", user, c):
        return None
    alternatives = Alternative.objects.filter(consultation=c, visibility=Visibility.PUBLISHED).order_by("id")
    return {
        "published": c.state != State.DECIDING,
        "chosen_ids": sorted(decision.chosen.values_list("pk", flat=True)),
        "rationale": decision.rationale,
        "council_resolution": decision.council_resolution,
        "recorded_at": decision.recorded_at,
        "alternative_answers": {str(a.pk): a.response for a in alternatives},
        "problem_answers": {str(p.pk): p.response for p in supported_problems(c)},
        "missing_answers": decision_missing_answers(c),
    }


# --- the staff desk (config.desk) -----------------------------------------------------------------
DESK_LIMIT = 200


def desk_items(user) -> list[dict]:
    """What waits for staff of the user's organisations: contributions to moderate (waiting, hidden by
    reports, or reported), and decisions due. Each item names the roles whose desk it is on."""
    orgs = _staff_org_ids(user)
    if not orgs:
        return []
    items: list[dict] = []
    moderators, deciders = sorted(rules.MODERATORS), sorted(rules.DECIDERS)
    labels = {kind: capfirst(label) for kind, label in Report.Kind.choices}
    reports: dict[tuple[str, int], list] = defaultdict(list)
    for kind, object_id, created_at in (
        Report.objects.filter(consultation__organisation_id__in=orgs, resolved_at__isnull=True)
        .order_by("created_at")
        .values_list("kind", "object_id", "created_at")[: DESK_LIMIT * 5]
    ):
        reports[(kind, object_id)].append(created_at)
    for kind, model in (("problem", Problem), ("alternative", Alternative), ("comment", Comment)):
        waiting = Q(visibility__in=[Visibility.PENDING, Visibility.HIDDEN])
        waiting |= Q(pk__in=[oid for (k, oid) in reports if k == kind], visibility=Visibility.PUBLISHED)
        rows = model.objects.filter(waiting, consultation__organisation_id__in=orgs).select_related("consultation")
        for item in rows.order_by("created_at")[:DESK_LIMIT]:
            reported = reports.get((kind, item.pk), [])
            if reported:
                what = _("%(kind)s reported (%(n)d)") % {"kind": labels[kind], "n": len(reported)}
            else:
                what = _("%(kind)s waiting for moderation") % {"kind": labels[kind]}
            items.append({
                "roles": moderators, "organisation_id": item.consultation.organisation_id, "what": what,
                "title": f"{getattr(item, 'title', '') or item.body[:80]} · {item.consultation.title}",
                "url": f"/consultations/{item.consultation_id}/#{kind}-{item.pk}",
                "since": reported[0] if reported else item.created_at, "due": None,
            })  # fmt: skip
    deciding = Consultation.objects.filter(organisation_id__in=orgs, state=State.DECIDING).prefetch_related("stages")
    for c in deciding.order_by("updated_at")[:DESK_LIMIT]:
        items.append({
            "roles": deciders, "organisation_id": c.organisation_id, "what": _("Decision due"), "title": c.title,
            "url": f"/consultations/{c.pk}/decision/", "since": c.updated_at, "due": None,
        })  # fmt: skip
    return items


# --- search (config.search) -----------------------------------------------------------------------
def search(user, q: str, *, limit: int = 20) -> dict:
    """Consultations `user` may see matching `q` in their text or in a published problem or
    alternative (consultations.filters), closest first, and those problems and alternatives
    themselves: {"items": [...], "more": bool, "contributions": [...]}."""
    from workflows.filters import query_words, text_match

    from .filters import ConsultationFilter

    visible = visible_consultations(user)
    found = list(ConsultationFilter.ranked(ConsultationFilter({"q": q}, queryset=visible).qs, q)[: limit + 1])
    items = [
        {"title": c.title, "url": c.get_absolute_url(), "badge": c.get_state_display(), "snippet": c.summary or c.body}
        for c in found[:limit]
    ]
    where = text_match(query_words(q), ["title", "body"])
    contributions = []
    for model, anchor, label in ((Problem, "problem-", _("Problem")), (Alternative, "alternatives", _("Alternative"))):
        rows = (
            model.objects.filter(where, visibility=Visibility.PUBLISHED, consultation__in=visible)
            .select_related("consultation")
            .order_by("-id")[:limit]
        )
        for row in rows:
            url = row.consultation.get_absolute_url() + (f"#{anchor}{row.pk}" if anchor == "problem-" else f"#{anchor}")
            contributions.append({"title": row.title, "url": url, "badge": str(label), "in": row.consultation.title})
    return {"items": items, "more": len(found) > limit, "contributions": contributions}
