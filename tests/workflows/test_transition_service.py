"""workflows.services.transition: each domain error, and what a successful move leaves behind."""

import pytest
from django.contrib.auth.models import AnonymousUser

from notifications.models import OutboxEvent
from tests.workflows.conftest import moved
from workflows.errors import Conflict, PermissionDenied, TransitionNotAllowed, ValidationFailed
from workflows.models import AuditEntry
from workflows.selectors import audit_verify
from workflows.services import available_transitions, transition


def test_it_applies_a_move_saves_the_state_and_returns_the_audit_entry(make_ticket, resident):
    ticket = make_ticket()
    updated = transition(ticket, "submit", actor=resident, reason="  please fix  ")
    assert updated.status == "open"
    assert updated.version == 1
    entry = updated.last_audit_entry
    assert AuditEntry.objects.get() == entry
    assert (entry.record_type, entry.record_id, entry.name) == ("testapp.ticket", str(ticket.pk), "submit")
    assert (entry.from_state, entry.to_state, entry.reason) == ("new", "open", "please fix")
    assert (entry.actor_id, entry.actor_role, entry.organisation_id) == (resident.pk, "resident", ticket.organisation_id)
    ticket.refresh_from_db()
    assert (ticket.status, ticket.version) == ("open", 1)


def test_it_refuses_a_move_that_does_not_start_from_the_current_state(make_ticket, admin_user):
    ticket = make_ticket()
    with pytest.raises(TransitionNotAllowed) as err:
        transition(ticket, "resolve", actor=admin_user)
    assert err.value.status == 409 and err.value.details["state"] == "new"
    assert not AuditEntry.objects.exists()


def test_it_refuses_an_unknown_move(make_ticket, admin_user):
    with pytest.raises(TransitionNotAllowed) as err:
        transition(make_ticket(), "teleport", actor=admin_user)
    assert err.value.code == "unknown_transition"


def test_it_refuses_an_actor_without_the_permission(make_ticket, resident, outsider):
    ticket = moved(make_ticket(), "submit")
    for actor in (resident, outsider):  # a resident is not staff; the outsider is staff elsewhere
        with pytest.raises(PermissionDenied) as err:
            transition(ticket, "assign", actor=actor)
        assert err.value.status == 403
    ticket.refresh_from_db()
    assert ticket.status == "open"
    assert AuditEntry.objects.count() == 1  # the setup move only


def test_it_refuses_anonymous_people_even_where_no_permission_is_set(make_ticket):
    with pytest.raises(PermissionDenied) as err:
        transition(make_ticket(), "submit", actor=AnonymousUser())
    assert err.value.code == "not_authenticated"


def test_it_reports_unmet_conditions_with_their_message(make_ticket, moderator):
    ticket = moved(make_ticket(blocked=True), "submit")
    with pytest.raises(TransitionNotAllowed) as err:
        transition(ticket, "assign", actor=moderator)
    assert "the ticket is blocked" in str(err.value.message)
    assert err.value.details["conditions"] == ["the ticket is blocked"]


def test_it_requires_a_reason_where_the_move_says_so(make_ticket, admin_user):
    ticket = moved(make_ticket(), "submit")
    with pytest.raises(ValidationFailed) as err:
        transition(ticket, "close", actor=admin_user, reason="   ")
    assert err.value.status == 400 and "reason" in err.value.details
    closed = transition(ticket, "close", actor=admin_user, reason="duplicate of #4")
    assert closed.status == "closed"


def test_it_detects_a_stale_version_or_state(make_ticket, moderator):
    ticket = moved(make_ticket(), "submit")  # version 1
    with pytest.raises(Conflict) as err:
        transition(ticket, "assign", actor=moderator, expected_version=0)
    assert err.value.status == 409 and err.value.details == {"expected_version": 0, "version": 1}
    with pytest.raises(Conflict):
        transition(ticket, "assign", actor=moderator, expected_state="new")
    assert transition(ticket, "assign", actor=moderator, expected_version=1, expected_state="open").status == "in_progress"


def test_it_lets_the_system_make_moves_no_person_may(make_ticket, admin_user):
    ticket = moved(make_ticket(), "submit")
    with pytest.raises(PermissionDenied):
        transition(ticket, "expire", actor=admin_user)
    expired = transition(ticket, "expire", actor=None, reason="deadline")
    assert expired.status == "expired"
    assert expired.last_audit_entry.actor_role == "system" and expired.last_audit_entry.actor_id is None


def test_it_moves_a_second_state_field_independently(make_ticket, moderator, admin_user):
    ticket = moved(make_ticket(), "submit")
    ticket = transition(ticket, "escalate", actor=moderator)
    assert (ticket.status, ticket.priority, ticket.version) == ("open", "escalated", 2)
    assert ticket.last_audit_entry.from_state == "normal" and ticket.last_audit_entry.to_state == "escalated"
    ticket = transition(ticket, "deescalate", actor=admin_user)
    assert ticket.priority == "normal"


def test_it_writes_the_machine_outbox_events_in_the_same_transaction(make_ticket, admin_user):
    ticket = moved(make_ticket(), "submit")
    transition(ticket, "close", actor=admin_user, reason="done")
    event = OutboxEvent.objects.get()
    assert event.event == "moderation.outcome"
    assert event.data["reason"] == "done" and event.record_id == str(ticket.pk)


def test_it_lists_only_the_moves_a_user_may_make_now(make_ticket, resident, moderator, admin_user):
    ticket = moved(make_ticket(), "submit")
    names = lambda user: sorted(t["name"] for t in available_transitions(ticket, user))  # noqa: E731
    assert names(resident) == []
    assert names(AnonymousUser()) == []
    assert names(None) == ["assign", "close", "escalate", "expire", "remind"]  # the system
    assert names(moderator) == ["assign", "escalate"]
    assert names(admin_user) == ["assign", "close"]
    close = next(t for t in available_transitions(ticket, admin_user) if t["name"] == "close")
    assert close == {
        "name": "close",
        "label": "Close",
        "field": "status",
        "source": "open",
        "target": "closed",
        "reason_required": True,
        "confirm_required": False,
    }


def test_it_keeps_the_chain_valid_across_moves(make_ticket, admin_user):
    ticket = moved(make_ticket(), "submit", "assign", "resolve")
    transition(ticket, "reopen", actor=admin_user, reason="not fixed")
    report = audit_verify()
    assert report.ok and report.entries == 4
