"""The periodic check: deadline-near reminders once, and missed threshold crossings made."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from notifications.models import OutboxEvent
from petitions import services
from petitions.models import Petition, SignatureTally

from .conftest import filing_ready, make_petition, sign_and_confirm

pytestmark = pytest.mark.django_db


def test_it_reminds_staff_once_when_moderation_is_nearly_overdue(org, policy, resident, sponsors):
    petition = make_petition(org, resident, state="awaiting_moderation", sponsors=sponsors)
    assert services.petitions_check()["reminders"] == 0  # 14 days away
    Petition.objects.filter(pk=petition.pk).update(moderation_requested_at=timezone.now() - dt.timedelta(days=12))
    assert services.petitions_check()["reminders"] == 1
    assert services.petitions_check()["reminders"] == 0
    event = OutboxEvent.objects.get(event="petition.moderation_overdue")
    assert event.data["overdue"] is False and event.audience == {"roles": ["moderator", "admin"]}


def test_it_reminds_about_the_ordinance_report_and_the_council(open_ordinance, clerk):
    for n in range(4):
        sign_and_confirm(open_ordinance, n)
    petition = Petition.objects.get(pk=open_ordinance.pk)
    Petition.objects.filter(pk=petition.pk).update(report_due_at=timezone.now() + dt.timedelta(days=2))
    call_command("petitions_check")
    assert OutboxEvent.objects.filter(event="petition.ordinance_report_due").count() == 1
    from workflows.services import transition

    filing_ready(petition, clerk)
    petition = transition(Petition.objects.get(pk=petition.pk), "submit", actor=clerk)
    Petition.objects.filter(pk=petition.pk).update(council_due_at=timezone.now() + dt.timedelta(days=1))
    services.petitions_check()
    services.petitions_check()
    assert OutboxEvent.objects.filter(event="petition.ordinance_council_due").count() == 1


def test_it_makes_a_threshold_move_missed_by_concurrent_confirmations(open_petition):
    sign_and_confirm(open_petition, 1)
    # As if two confirmations had raced past the response threshold (3) unseen:
    SignatureTally.objects.filter(petition=open_petition, bucket="t").update(count=3)
    assert Petition.objects.get(pk=open_petition.pk).response_state == "not_required"
    assert services.petitions_check()["thresholds"] == 1
    assert Petition.objects.get(pk=open_petition.pk).response_state == "awaiting_response"
    assert services.petitions_check()["thresholds"] == 0
