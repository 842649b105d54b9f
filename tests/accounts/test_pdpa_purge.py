"""PDPA retention purge (`manage.py purge_personal_data`, beat task accounts.purge_personal_data):
signers' names, emails and ID/IP fingerprints go PDPA_SIGNATURE_RETENTION_DAYS after a petition
ends; counts, village and hourly tallies, states and the audit chain stay; running it again does
nothing; sent mail goes after PDPA_MAIL_RETENTION_DAYS."""

import datetime as dt
import io

from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from accounts.privacy.services import personal_data_purge
from notifications.models import Delivery, OutboxEvent
from petitions.models import CouncilOutcome, Petition, Signature, SignatureState
from petitions.selectors import petition_counts
from tests.petitions.conftest import make_petition, sign, sign_and_confirm, valid_national_id
from workflows.models import AuditEntry
from workflows.selectors import audit_verify
from workflows.services import transition

YEAR = dt.timedelta(days=365)
DAY = dt.timedelta(days=1)


def signed_petition(org, author, sponsors, moderator, *, kind="general", confirmed=4, pending=1):
    petition = make_petition(org, author, kind=kind, state="open", sponsors=sponsors, moderator=moderator)
    for n in range(confirmed):
        sign_and_confirm(petition, n, village=1 + n % 3, national_id=valid_national_id(n) if kind == "ordinance" else "")
    for n in range(100, 100 + pending):
        sign(petition, n, national_id=valid_national_id(n) if kind == "ordinance" else "")
    return petition


def close(petition, moderator) -> Petition:
    return transition(petition, "close_early", actor=moderator, reason="ปิดก่อนกำหนด")


def identifying(petition) -> list:
    return list(
        Signature.objects.filter(petition=petition)
        .exclude(name="", national_id_hash__isnull=True, ip_hash="", email__endswith="@erased.invalid")
        .values_list("pk", flat=True)
    )


def test_it_purges_signers_a_year_after_the_petition_ends_and_keeps_the_counts(org, policy, resident, sponsors, moderator):
    petition = close(signed_petition(org, resident, sponsors, moderator), moderator)
    counts = petition_counts(petition.pk, fresh=True)
    states = sorted(Signature.objects.filter(petition=petition).exclude(state="pending").values_list("state", "village_number"))
    assert counts.total == 4 and len(identifying(petition)) == 5

    assert personal_data_purge(now=petition.closed_at + YEAR - DAY)["petitions.petitions"] == 0
    assert len(identifying(petition)) == 5  # not yet

    done = personal_data_purge(now=petition.closed_at + YEAR + DAY)
    assert done["petitions.petitions"] == 1 and done["petitions.signatures"] == 5
    assert identifying(petition) == []
    for s in Signature.objects.filter(petition=petition):
        assert (s.name, s.national_id_hash, s.national_id_last4, s.ip_hash) == ("", None, "", "")
        assert s.email == f"erased-{s.pk}@erased.invalid"
    assert not Signature.objects.filter(petition=petition, state=SignatureState.PENDING).exists()  # never counted
    assert petition_counts(petition.pk, fresh=True) == counts  # total, by village, by hour
    assert sorted(Signature.objects.filter(petition=petition).values_list("state", "village_number")) == states
    entry = AuditEntry.objects.get(name="signers_data_purged")
    assert (entry.record_type, entry.record_id, entry.actor_role) == ("petitions.petition", str(petition.pk), "system")
    assert entry.payload == {"signatures": 4, "pending_deleted": 1, "retention_days": 365}
    report = audit_verify()
    assert report.ok, report


def test_it_is_idempotent(org, policy, resident, sponsors, moderator):
    petition = close(signed_petition(org, resident, sponsors, moderator), moderator)
    later = petition.closed_at + YEAR + DAY
    personal_data_purge(now=later)
    entries = AuditEntry.objects.count()
    again = personal_data_purge(now=later + DAY)
    assert again["petitions.petitions"] == 0 and again["petitions.signatures"] == 0
    assert AuditEntry.objects.count() == entries
    assert audit_verify().ok


def test_it_keeps_signers_of_a_petition_still_open(org, policy, resident, sponsors, moderator):
    petition = signed_petition(org, resident, sponsors, moderator)
    personal_data_purge(now=timezone.now() + 5 * YEAR)
    assert len(identifying(petition)) == 5


def test_an_ordinance_initiative_keeps_its_signers_until_the_council_has_decided(org, policy, resident, sponsors, moderator):
    ordinance = make_petition(org, resident, kind="ordinance", state="open", sponsors=sponsors, moderator=moderator)
    Petition.objects.filter(pk=ordinance.pk).update(council_threshold=3)  # reached by three signers
    for n in range(3):
        sign_and_confirm(ordinance, n, national_id=valid_national_id(n))
    ordinance = Petition.objects.get(pk=ordinance.pk)
    assert ordinance.state == "closed" and ordinance.council_threshold_reached_at is not None  # to be filed
    personal_data_purge(now=timezone.now() + 5 * YEAR)
    assert len(identifying(ordinance)) == 3  # the council still needs its signers

    decided_on = timezone.now()
    Petition.objects.filter(pk=ordinance.pk).update(state="decided")  # tests only: the council's path
    CouncilOutcome.objects.create(petition=ordinance, decision="adopted", summary="ผ่าน", decided_on=decided_on.date())
    assert personal_data_purge(now=decided_on + YEAR - DAY)["petitions.petitions"] == 0
    assert personal_data_purge(now=decided_on + YEAR + DAY)["petitions.petitions"] == 1
    assert identifying(ordinance) == []
    assert petition_counts(ordinance.pk, fresh=True).total == 3


def test_an_ordinance_initiative_that_closed_short_is_purged(org, policy, resident, sponsors, moderator):
    ordinance = close(signed_petition(org, resident, sponsors, moderator, kind="ordinance", confirmed=2), moderator)
    assert ordinance.council_threshold_reached_at is None
    personal_data_purge(now=ordinance.closed_at + YEAR + DAY)
    assert identifying(ordinance) == []


def test_the_retention_is_configurable(org, policy, resident, sponsors, moderator, settings):
    settings.PDPA_SIGNATURE_RETENTION_DAYS = 30
    petition = close(signed_petition(org, resident, sponsors, moderator), moderator)
    assert personal_data_purge(now=petition.closed_at + 31 * DAY)["petitions.petitions"] == 1
    assert AuditEntry.objects.get(name="signers_data_purged").payload["retention_days"] == 30


def test_the_command_purges_and_says_what(org, policy, resident, sponsors, moderator, settings):
    settings.PDPA_SIGNATURE_RETENTION_DAYS = 0
    petition = close(signed_petition(org, resident, sponsors, moderator), moderator)
    out = io.StringIO()
    call_command("purge_personal_data", stdout=out)
    assert "petitions.petitions: 1" in out.getvalue() and "petitions.signatures: 5" in out.getvalue()
    assert identifying(petition) == []
    out = io.StringIO()
    call_command("purge_personal_data", stdout=out)
    assert "petitions.petitions: 0" in out.getvalue()


def test_sent_mail_is_deleted_after_its_retention(db, settings):
    now = timezone.now()
    old = now - dt.timedelta(days=settings.PDPA_MAIL_RETENTION_DAYS + 1)

    def event(relayed_at, status):
        row = OutboxEvent.objects.create(event="signature.confirm_requested", audience={"emails": ["a@example.org"]},
                                         data={"name": "ผู้ลงชื่อ"}, created_at=relayed_at, relayed_at=relayed_at)  # fmt: skip
        Delivery.objects.create(event=row, channel="email", key=f"k{row.pk}", email="a@example.org", status=status)
        return row

    sent, waiting, recent = event(old, "sent"), event(old, "digest"), event(now, "sent")
    done = personal_data_purge(now=now)
    assert done["notifications.mail_events"] == 1 and done["notifications.deliveries"] == 1
    assert list(OutboxEvent.objects.order_by("pk").values_list("pk", flat=True)) == [waiting.pk, recent.pk]
    assert sent.pk not in Delivery.objects.values_list("event_id", flat=True)


def test_beat_runs_the_purge_daily():
    from config.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["accounts-purge-personal-data"]
    assert entry["task"] == "accounts.purge_personal_data"
    assert entry["schedule"].hour == {3}
    app.loader.import_default_modules()
    assert "accounts.purge_personal_data" in app.tasks


def test_the_task_runs_the_purge(org, policy, resident, sponsors, moderator, settings):
    from accounts.tasks import purge_personal_data

    settings.PDPA_SIGNATURE_RETENTION_DAYS = 0
    petition = close(signed_petition(org, resident, sponsors, moderator), moderator)
    assert purge_personal_data()["petitions.petitions"] == 1  # what the worker runs, called in-process
    assert identifying(petition) == []
