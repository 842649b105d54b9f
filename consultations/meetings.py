"""Village meetings (ประชาคมหมู่บ้าน): staff enter a meeting's paper ballots or show of hands.

A small municipality decides much at village meetings; their counts join the online ballots in
the result (selectors.tally: "counts" is the sum, "online" and "meetings" stay apart for the page)
and in the published record (services.consultation_published), so entering one is an audited act
of the chain like a decision. The minutes are kept through Django's storage API.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Village
from workflows.errors import ValidationFailed
from workflows.services import published_record

from . import rules
from .models import Alternative, Consultation, VillageMeeting, VillageMeetingCount, Visibility
from .services import _fresh, _text, consultation_published

MAX_MINUTES_BYTES = 20 * 1024 * 1024


def _counts(raw, alternatives: set[int]) -> dict[int, int]:
    if not isinstance(raw, dict) or not raw:
        raise ValidationFailed(details={"counts": [_("Give the votes of each alternative: {id: votes}.")]})
    counts = {}
    for key, value in raw.items():
        try:
            pk, votes = int(key), int(value)
        except (TypeError, ValueError):
            raise ValidationFailed(details={"counts": [_("Give whole numbers of votes.")]}) from None
        if pk not in alternatives:
            raise ValidationFailed(details={"counts": [_("Unknown alternative.")]})
        if votes < 0 or isinstance(value, bool):
            raise ValidationFailed(details={"counts": [_("Give whole numbers of votes.")]})
        counts[pk] = votes
    return counts


def village_meeting_record(
    *, consultation: Consultation, actor, held_on, place, attendance, counts, minutes, method="hands", village_number=None
) -> VillageMeeting:
    """Enter one village meeting: date, place, attendance, minutes (a file) and the votes per
    alternative. At a single-choice vote the votes cannot add up to more than the attendance."""
    errors: dict = {}
    try:
        place = _text(place, "place", max_length=200)
    except ValidationFailed as exc:
        errors |= exc.details
    try:
        day = held_on if isinstance(held_on, dt.date) else dt.date.fromisoformat(str(held_on or ""))
        if day > timezone.localdate():
            errors["held_on"] = [_("The meeting's date is in the future.")]
    except ValueError:
        errors["held_on"] = [_("Enter the date (YYYY-MM-DD).")]
    try:
        attendance = int(attendance)
        if attendance < 1 or attendance > 1_000_000:
            raise ValueError
    except (TypeError, ValueError):
        errors["attendance"] = [_("Enter how many people attended.")]
    if method not in VillageMeeting.Method.values:
        errors["method"] = [_("Choose how the votes were counted.")]
    if minutes is None or not getattr(minutes, "name", ""):
        errors["minutes"] = [_("Attach the minutes of the meeting.")]
    elif (getattr(minutes, "size", 0) or 0) > MAX_MINUTES_BYTES:
        errors["minutes"] = [_("The file is larger than %(n)d MB.") % {"n": MAX_MINUTES_BYTES // (1024 * 1024)}]
    if errors:
        raise ValidationFailed(details=errors)
    with transaction.atomic():
        c = _fresh(consultation)
        rules.check("record_meeting", actor, c)
        published = set(Alternative.objects.filter(consultation=c, visibility=Visibility.PUBLISHED).values_list("pk", flat=True))
        clean = _counts(counts, published)
        if c.voting == Consultation.Voting.SINGLE and sum(clean.values()) > attendance:
            raise ValidationFailed(details={"counts": [_("More votes than people attended.")]})
        village = None
        if village_number not in (None, ""):
            village = Village.objects.filter(organisation_id=c.organisation_id, number=_int(village_number)).first()
            if village is None:
                raise ValidationFailed(details={"village_number": [_("Choose the village (หมู่ที่).")]})
        before = consultation_published(c)
        meeting = VillageMeeting(
            consultation=c, held_on=day, place=place, village=village, method=method, attendance=attendance,
            recorded_by=actor,
        )  # fmt: skip
        meeting.minutes.save(str(minutes.name).rsplit("/", 1)[-1] or "minutes", minutes, save=False)
        meeting.save()
        VillageMeetingCount.objects.bulk_create(
            [VillageMeetingCount(meeting=meeting, alternative_id=pk, votes=n) for pk, n in sorted(clean.items())]
        )
        published_record(record=c, actor=actor, name="village_meeting_recorded", since=before)
    return meeting


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
