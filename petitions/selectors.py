"""Reads shared by the API and the pages. Counts come from the sharded tally rows
(models.SignatureTally): a page reads a few small sums, cached for COUNTS_TTL seconds."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db.models import Count, Max, Min, Q, Sum, Value
from django.db.models.functions import StrIndex, Substr, TruncMinute
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, Village, fold_email
from accounts.selectors import has_role, staff_organisations

from .models import (
    PUBLIC_STATES,
    RESPONDABLE_STATES,
    WITHHOLDING_CODES,
    AddressFlag,
    Channel,
    Petition,
    PetitionPolicy,
    Signature,
    SignatureState,
    SignatureTally,
    State,
)

COUNTS_TTL = 5  # seconds a page may show a count behind the truth


@dataclass
class Counts:
    total: int = 0
    villages: dict[int, int] = field(default_factory=dict)  # หมู่ที่ N -> confirmed signatures
    hours: list[tuple[dt.datetime, int]] = field(default_factory=list)  # UTC hour -> confirmed that hour


def petition_total(petition_id: int) -> int:
    """The exact confirmed count, uncached (rules and threshold checks use this)."""
    value = SignatureTally.objects.filter(petition_id=petition_id, bucket="t").aggregate(n=Sum("count"))["n"]
    return int(value or 0)


def counts_key(petition_id: int) -> str:
    return f"petition-counts:{petition_id}"


def petition_counts(petition_id: int, *, fresh: bool = False) -> Counts:
    """Total, by village and by hour in one GROUP BY over the tally rows; cached briefly."""
    key = counts_key(petition_id)
    if not fresh:
        cached = cache.get(key)
        if cached is not None:
            return cached
    counts = Counts()
    rows = (
        SignatureTally.objects.filter(petition_id=petition_id).values_list("bucket").annotate(n=Sum("count")).order_by("bucket")
    )
    for bucket, n in rows:
        if bucket == "t":
            counts.total = int(n)
        elif bucket.startswith("v") and n:
            counts.villages[int(bucket[1:])] = int(n)
        elif bucket.startswith("h") and n:
            hour = dt.datetime.strptime(bucket[1:], "%Y%m%d%H").replace(tzinfo=dt.UTC)
            counts.hours.append((hour, int(n)))
    cache.set(key, counts, COUNTS_TTL)
    return counts


def count_snapshot(petition_id: int) -> dict | None:
    """The light count of a public petition (api.PetitionCount, the widget): cached whole for
    COUNTS_TTL seconds, so a page of widgets on a busy site costs no query while cached, and two
    small ones (the petition's row, the tally sum) when not. None: no such public petition."""
    key = f"petition-count-snapshot:{petition_id}"
    snapshot = cache.get(key)
    if snapshot is not None:
        return snapshot or None
    row = (
        Petition.objects.filter(pk=petition_id, state__in=PUBLIC_STATES)
        .values("state", "closes_at", "response_threshold", "council_threshold")
        .first()
    )
    snapshot = {}
    if row is not None:
        now = timezone.now()
        snapshot = {
            "petition": petition_id, "count": petition_total(petition_id),
            "response_threshold": row["response_threshold"], "council_threshold": row["council_threshold"],
            "state": row["state"],
            "accepting_signatures": row["state"] == State.OPEN and (row["closes_at"] is None or now < row["closes_at"]),
            "as_of": now,
        }  # fmt: skip
    cache.set(key, snapshot, COUNTS_TTL)  # {} remembers "none" as briefly
    return snapshot or None


def totals_for(petition_ids: list[int]) -> dict[int, int]:
    """Confirmed totals of many petitions in one query (list pages)."""
    if not petition_ids:
        return {}
    rows = (
        SignatureTally.objects.filter(petition_id__in=petition_ids, bucket="t")
        .values_list("petition_id")
        .annotate(n=Sum("count"))
        .order_by()
    )
    found = {pid: int(n) for pid, n in rows}
    return {pid: found.get(pid, 0) for pid in petition_ids}


def village_rows(petition: Petition, counts: Counts) -> list[dict]:
    """One row per village of the organisation (and any number signed that no longer exists)."""
    names = dict(Village.objects.filter(organisation_id=petition.organisation_id).values_list("number", "name"))
    numbers = sorted(set(names) | set(counts.villages))
    top = max(counts.villages.values(), default=0)
    return [
        {
            "number": n,
            "name": names.get(n, ""),
            "count": counts.villages.get(n, 0),
            "percent": round(100 * counts.villages.get(n, 0) / top) if top else 0,
        }
        for n in numbers
    ]


def village_choices(organisation_id: int) -> list[tuple[int, str]]:
    return [
        (number, f"หมู่ที่ {number} {name}".strip())
        for number, name in Village.objects.filter(organisation_id=organisation_id).values_list("number", "name")
    ]


def village_numbers() -> list[tuple[int, str]]:
    """Every village number of the organisations, for the list's village filter (one entry a number)."""
    names: dict[int, str] = {}
    for number, name in Village.objects.order_by("number", "organisation_id").values_list("number", "name"):
        names.setdefault(number, f"หมู่ที่ {number} {name}".strip())
    return list(names.items())


def policy_for(organisation_id: int) -> PetitionPolicy:
    return PetitionPolicy.for_organisation(organisation_id)


# --- withheld text (models.WITHHOLDING_CODES) ----------------------------------------------------
def withheld_title() -> str:
    """What the public reads instead of a withheld petition's title (and of its text)."""
    return _("Text withheld")


def withheld_title_both() -> str:
    """The placeholder in Thai and English, for what is stored once for readers of either language
    (an outbox event's data): "ข้อความถูกระงับ / Text withheld"."""
    from django.utils import translation

    with translation.override("th"):
        thai = withheld_title()
    with translation.override("en"):
        english = withheld_title()
    return f"{thai} / {english}"


def withheld_q() -> Q:
    """The petitions whose text is withheld from the public (Petition.text_withheld, in SQL)."""
    return Q(state__in=[State.REJECTED, State.HIDDEN], rejection_code__in=WITHHOLDING_CODES)


def may_read_withheld(petition: Petition, user) -> bool:
    """Staff of the petition's organisation (who decide on it, and may restore it) and its author."""
    from . import rules

    return rules.is_staff(petition, user) or rules.is_author(petition, user)


def withhold_for(petitions, user) -> list[Petition]:
    """Mask the text of withheld petitions the viewer may not read, on these instances in memory
    (for display only: they are never saved). Each gets `text_masked`, True where masked."""
    items = list(petitions) if not isinstance(petitions, Petition) else [petitions]
    for p in items:
        p.text_masked = p.text_withheld and not may_read_withheld(p, user)
        if p.text_masked:
            p.title, p.body, p.background = withheld_title(), "", ""
    return items


def petitions_public(*, organisation_id: int | None = None, states=None):
    qs = Petition.objects.filter(state__in=states or PUBLIC_STATES).select_related("author")
    if organisation_id is not None:
        qs = qs.filter(organisation_id=organisation_id)
    return qs.order_by("-opened_at", "-id")


def petitions_visible_to(user, *, organisation_id: int | None = None):
    """What `user` may list: public petitions, their own, and everything of their organisations."""
    qs = Petition.objects.select_related("author")
    visible = Q(state__in=PUBLIC_STATES)
    if getattr(user, "is_authenticated", False):
        visible |= Q(author=user) & ~Q(state=State.HIDDEN)
        orgs = [o.pk for o in staff_organisations(user)]
        if orgs:
            visible |= Q(organisation_id__in=orgs)
    qs = qs.filter(visible)
    if organisation_id is not None:
        qs = qs.filter(organisation_id=organisation_id)
    return qs.order_by("-id")


def moderation_queue(user) -> list[Petition]:
    orgs = [o.pk for o in staff_organisations(user)]
    return list(
        Petition.objects.filter(organisation_id__in=orgs, state=State.AWAITING_MODERATION)
        .select_related("author", "organisation")
        .order_by("moderation_requested_at", "id")
    )


def staff_worklist(user) -> dict[str, list[Petition]]:
    """Petitions waiting for staff other than moderation: responses and council steps."""
    orgs = [o.pk for o in staff_organisations(user)]
    base = Petition.objects.filter(organisation_id__in=orgs).select_related("author").order_by("id")
    return {
        "awaiting_response": list(base.filter(response_state="awaiting_response")),
        "council": list(
            base.filter(
                Q(state__in=[State.SUBMITTED, State.UNDER_CONSIDERATION])
                | Q(state=State.CLOSED, council_threshold_reached_at__isnull=False, kind="ordinance")
                | Q(state=State.OPEN, council_threshold_reached_at__isnull=False)
            )
        ),
    }


def home_summary(user) -> dict:
    """For the home page (config.views.home): the latest open petitions with their counts."""
    latest = list(petitions_public(states=[State.OPEN])[:3])
    totals = totals_for([p.pk for p in latest])
    return {"open": [(p, totals[p.pk]) for p in latest]}


# --- busy addresses: the review queue -----------------------------------------------------------
@dataclass
class FlagPattern:
    """What staff need to judge a flagged address: how many, how fast, from where, confirmed or not."""

    flag: AddressFlag
    confirmed: int = 0
    pending: int = 0
    ended: int = 0  # invalidated, withdrawn (or voided by the old rate limits)
    first_seen: dt.datetime | None = None
    last_seen: dt.datetime | None = None
    villages: list[tuple[int, int]] = field(default_factory=list)  # (หมู่ที่, signatures), busiest first
    domains: list[tuple[str, int]] = field(default_factory=list)  # (email domain, signatures), busiest first
    minutes: list[tuple[dt.datetime, int]] = field(default_factory=list)  # per-minute histogram, in time order

    @property
    def signatures(self) -> int:
        return self.confirmed + self.pending

    @property
    def span(self) -> dt.timedelta:
        return (self.last_seen - self.first_seen) if self.first_seen and self.last_seen else dt.timedelta(0)

    @property
    def span_minutes(self) -> int:
        return math.ceil(self.span.total_seconds() / 60)

    @property
    def busiest_minute(self) -> int:
        return max((n for _m, n in self.minutes), default=0)


MAX_FLAGS = 100  # a queue page; older flags of a state are reached with ?petition=
MAX_MINUTES = 120  # histogram rows per flag (the latest)


def review_organisations(user) -> list[int]:
    """Organisations whose petition signatures `user` may review (rules.can_review_signatures)."""
    return [o.pk for o in staff_organisations(user) if has_role(user, o.pk, Role.MODERATOR, Role.ADMIN)]


def address_flags(user, *, state: str = AddressFlag.State.OPEN, petition_id: int | None = None) -> list[FlagPattern]:
    """Flagged addresses of the petitions `user` may review, each with its signatures' pattern, in
    five queries whatever their number (the flags, then four GROUP BYs over their signatures)."""
    flags = AddressFlag.objects.filter(petition__organisation_id__in=review_organisations(user)).select_related("petition")
    if state:
        flags = flags.filter(state=state)
    if petition_id is not None:
        flags = flags.filter(petition_id=petition_id)
    patterns = {(f.petition_id, f.ip_hash): FlagPattern(flag=f) for f in flags.order_by("-flagged_at", "-id")[:MAX_FLAGS]}
    if not patterns:
        return []
    signatures = Signature.objects.filter(
        petition_id__in={pid for pid, _ip in patterns}, ip_hash__in={ip for _pid, ip in patterns}
    ).order_by()
    active = Q(state__in=[SignatureState.PENDING, SignatureState.CONFIRMED])
    for row in signatures.values("petition_id", "ip_hash").annotate(
        confirmed=Count("id", filter=Q(state=SignatureState.CONFIRMED)),
        pending=Count("id", filter=Q(state=SignatureState.PENDING)),
        ended=Count("id", filter=~active),
        first=Min("created_at"),
        last=Max("created_at"),
    ):
        pattern = patterns.get((row["petition_id"], row["ip_hash"]))
        if pattern is not None:
            pattern.confirmed, pattern.pending, pattern.ended = row["confirmed"], row["pending"], row["ended"]
            pattern.first_seen, pattern.last_seen = row["first"], row["last"]
    groups = {
        "villages": signatures.filter(active).values_list("petition_id", "ip_hash", "village_number"),
        "domains": signatures.filter(active)
        .annotate(domain=Substr("email", StrIndex("email", Value("@")) + 1))
        .values_list("petition_id", "ip_hash", "domain"),
        "minutes": signatures.annotate(minute=TruncMinute("created_at")).values_list("petition_id", "ip_hash", "minute"),
    }
    for name, rows in groups.items():
        for pid, ip, key, n in rows.annotate(n=Count("id")):
            pattern = patterns.get((pid, ip))
            if pattern is not None:
                getattr(pattern, name).append((key, n))
    for pattern in patterns.values():
        pattern.villages.sort(key=lambda kv: (-kv[1], kv[0]))
        pattern.domains.sort(key=lambda kv: (-kv[1], kv[0]))
        pattern.minutes = sorted(pattern.minutes)[-MAX_MINUTES:]
    return list(patterns.values())


def signature_of(petition_id: int, user) -> Signature | None:
    """The signed-in person's active signature of a petition ("you signed this"): one they made while
    signed in, or one made with their account's email."""
    if not getattr(user, "is_authenticated", False):
        return None
    mine = Q(user_id=user.pk) | Q(email=fold_email(user.email))
    active = Q(state__in=[SignatureState.PENDING, SignatureState.CONFIRMED])
    return (
        Signature.objects.filter(mine, active, petition_id=petition_id).order_by("state", "-id").first()
    )  # confirmed before pending


def signers_audience(event) -> dict:
    """The confirmed signers of the event's petition who did not say no to hearing its outcome
    (notifications.services.audience_source "petitions.signers"): account holders by id (a
    signature made signed in, or one made with their account's email), so they get the inbox and
    their preferences apply; everyone else by address, streamed."""
    from accounts.models import User

    signed = Signature.objects.filter(
        petition_id=int(event.record_id), state=SignatureState.CONFIRMED, notify_outcome=True
    ).order_by()
    accounts = User.objects.filter(Q(pk__in=signed.exclude(user=None).values("user_id")) | Q(email__in=signed.values("email")))
    return {
        "users": accounts.values("pk"),
        "emails": signed.values_list("email", "name", "language").iterator(chunk_size=5000),
    }


# --- the staff desk (config.desk) -----------------------------------------------------------------
MODERATORS = ("moderator", "admin")
COUNCIL = ("clerk", "moderator", "admin")
CLERKS = ("clerk", "admin")
DESK_LIMIT = 200  # per kind of work: a desk is a to-do list, not an archive


def desk_items(user) -> list[dict]:
    """What waits for staff of the user's organisations, for their desk: petitions to moderate, to
    answer, to take to the council and for the council (with the legal deadlines), busy addresses to
    review. Each item names the roles whose desk it is on; config.desk sorts and filters."""
    orgs = [o.pk for o in staff_organisations(user)]
    if not orgs:
        return []
    items: list[dict] = []
    policies: dict[int, PetitionPolicy] = {}

    def add(p: Petition, roles, what, since, due=None, url: str = "") -> None:
        items.append({
            "roles": roles, "organisation_id": p.organisation_id, "what": what, "title": p.title,
            "url": url or p.get_absolute_url(), "since": since or p.updated_at, "due": due,
        })  # fmt: skip

    base = Petition.objects.filter(organisation_id__in=orgs).order_by("id")
    for p in base.filter(state=State.AWAITING_MODERATION)[:DESK_LIMIT]:
        policy = policies.setdefault(p.organisation_id, PetitionPolicy.for_organisation(p.organisation_id))
        due = p.moderation_requested_at + dt.timedelta(days=policy.moderation_overdue_days) if p.moderation_requested_at else None
        add(p, MODERATORS, _("Petition to moderate"), p.moderation_requested_at, due)
    for p in base.filter(response_state="awaiting_response", state__in=RESPONDABLE_STATES)[:DESK_LIMIT]:
        add(p, MODERATORS, _("Petition waiting for the municipality's response"), p.response_threshold_reached_at)
    for p in base.filter(state=State.OPEN, kind="general", council_threshold_reached_at__isnull=False)[:DESK_LIMIT]:
        add(p, COUNCIL, _("Petition to submit to the council when signing ends"), p.council_threshold_reached_at, p.closes_at)
    for p in base.filter(state=State.CLOSED, kind="ordinance", report_due_at__isnull=False)[:DESK_LIMIT]:
        add(p, COUNCIL, _("Ordinance initiative to report to the council (legal deadline)"), p.closed_at, p.report_due_at)
    for p in base.filter(state=State.SUBMITTED)[:DESK_LIMIT]:
        add(p, CLERKS, _("Petition submitted: the council is to consider it"), p.submitted_at, p.council_due_at)
    for p in base.filter(state=State.UNDER_CONSIDERATION)[:DESK_LIMIT]:
        add(p, CLERKS, _("Record the council's decision"), p.submitted_at, p.council_due_at)
    flags = AddressFlag.objects.filter(petition__organisation_id__in=orgs, state=AddressFlag.State.OPEN)
    for flag in flags.select_related("petition").order_by("flagged_at")[:DESK_LIMIT]:
        url = f"/petitions/moderation/addresses/?petition={flag.petition_id}"
        add(flag.petition, MODERATORS, _("Busy address to review"), flag.flagged_at, url=url)
    return items


# --- search (config.search) ---------------------------------------------------------------------
def search(user, q: str, *, limit: int = 20) -> dict:
    """Public petitions matching `q` (petitions.filters), closest first: {"items": [...], "more": bool}."""
    from .filters import PetitionFilter

    public = petitions_public().exclude(withheld_q())  # a withheld text is not searched either
    found = PetitionFilter.ranked(PetitionFilter({"q": q}, queryset=public).qs, q)
    petitions = list(found[: limit + 1])
    totals = totals_for([p.pk for p in petitions[:limit]])
    items = [
        {"title": p.title, "url": p.get_absolute_url(), "badge": p.get_state_display(), "snippet": p.body,
         "count": totals[p.pk]}
        for p in petitions[:limit]
    ]  # fmt: skip
    return {"items": items, "more": len(petitions) > limit}


LOST_MOVES = ("response_threshold_lost", "council_threshold_lost", "reopen_collecting")
REACHED_MOVES = ("require_response", "reach_council_threshold", "close")


def threshold_lost(petition: Petition) -> dict | None:
    """The latest fall below a threshold, for the public page, unless a threshold was reached again
    since: {"move", "count_before", "count_after", "threshold", "at"}."""
    from workflows.models import AuditEntry

    reached = REACHED_MOVES if petition.is_ordinance else REACHED_MOVES[:2]  # a general petition's close reaches nothing
    entries = AuditEntry.objects.filter(
        record_type="petitions.petition", record_id=str(petition.pk), name__in=LOST_MOVES + reached
    ).order_by("-id")
    entry = entries.first()
    if entry is None or entry.name not in LOST_MOVES:
        return None
    payload = entry.payload or {}
    return {
        "move": entry.name,
        "count_before": payload.get("count_before"),
        "count_after": payload.get("count_after"),
        "threshold": payload.get("threshold"),
        "at": entry.created_at,
    }


def paper_counts(petition_id: int) -> dict:
    """Confirmed paper signatures (petitions.paper) of a petition: total, by village and by UTC hour
    of counting; the tallies hold them with the online ones, this says how many of each are paper
    (the open-data exports mark them)."""
    from django.db.models.functions import TruncHour

    paper = Signature.objects.filter(petition_id=petition_id, state=SignatureState.CONFIRMED, channel=Channel.PAPER)
    villages = dict(paper.values_list("village_number").annotate(n=Count("id")).order_by())
    hours = dict(
        paper.annotate(hour=TruncHour("confirmed_at", tzinfo=dt.UTC)).values_list("hour").annotate(n=Count("id")).order_by()
    )
    return {"total": sum(villages.values()), "villages": villages, "hours": hours}


# --- one signature: staff find it ------------------------------------------------------------------
FIND_LIMIT = 50
FIND_MIN = 2


@dataclass
class FoundSignature:
    """A signature as staff see it in search results: name and email masked (controls.mask_*)."""

    id: int
    name: str
    email: str
    state: str
    state_label: str
    village: int
    channel: str
    created_at: dt.datetime
    confirmed_at: dt.datetime | None
    ended_at: dt.datetime | None
    can_invalidate: bool
    can_restore: bool


def signatures_find(petition_id: int, q: str) -> list[FoundSignature]:
    """The petition's signatures whose email is `q` (folded as signing folds it, so any spelling of
    the inbox finds it) or, without an "@", whose name contains `q` (case and spacing aside); the
    newest first, at most FIND_LIMIT. Staff only (the caller checks)."""
    from accounts.models import normalise_email

    from . import controls
    from .models import Signature, SignatureState

    q = " ".join(str(q or "").split())
    if len(q) < FIND_MIN:
        return []
    match = Q(email=fold_email(q)) | Q(email=normalise_email(q)) if "@" in q else Q(name__icontains=q)
    rows = Signature.objects.filter(match, petition_id=petition_id).order_by("-created_at", "-id")[:FIND_LIMIT]
    active = {SignatureState.PENDING, SignatureState.CONFIRMED}
    return [
        FoundSignature(
            id=s.pk,
            name=controls.mask_name(s.name),
            email="" if s.channel == "paper" and s.email.endswith(".invalid") else controls.mask_email(s.email),
            state=s.state,
            state_label=str(s.get_state_display()),
            village=s.village_number,
            channel=s.channel,
            created_at=s.created_at,
            confirmed_at=s.confirmed_at,
            ended_at=s.ended_at,
            can_invalidate=s.state in active,
            can_restore=s.state == SignatureState.INVALIDATED,
        )  # fmt: skip
        for s in rows
    ]
