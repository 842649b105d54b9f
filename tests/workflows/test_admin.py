"""Django admin: the audit trail is read-only; role changes made there go through the audited service."""

import pytest
from django.urls import reverse

from accounts.models import Membership
from tests.workflows.conftest import moved
from workflows.models import AuditEntry


@pytest.fixture
def superuser(make_user):
    return make_user(email="root@example.com", is_staff=True, is_superuser=True)


def test_audit_entries_can_be_read_but_not_added_changed_or_deleted(client, superuser, make_ticket):
    moved(make_ticket(), "submit")
    entry = AuditEntry.objects.get()
    client.force_login(superuser)
    assert client.get(reverse("admin:workflows_auditentry_changelist")).status_code == 200
    assert client.get(reverse("admin:workflows_auditentry_change", args=[entry.pk])).status_code == 200  # view only
    assert client.get(reverse("admin:workflows_auditentry_add")).status_code == 403
    assert client.post(reverse("admin:workflows_auditentry_delete", args=[entry.pk]), {"post": "yes"}).status_code == 403
    response = client.post(reverse("admin:workflows_auditentry_change", args=[entry.pk]), {"reason": "rewritten"})
    assert response.status_code == 403
    assert AuditEntry.objects.get().reason == "setup"


def test_the_accounts_and_deadline_pages_load(client, superuser, org, resident):
    client.force_login(superuser)
    for name in (
        "accounts_user", "accounts_organisation", "workflows_deadline", "workflows_auditchainhead",
        "workflows_auditcheckpoint", "workflows_auditwebhook",
    ):  # fmt: skip
        assert client.get(reverse(f"admin:{name}_changelist")).status_code == 200, name
    assert client.get(reverse("admin:accounts_user_change", args=[resident.pk])).status_code == 200


def test_a_role_added_in_the_admin_is_granted_through_the_audited_service(client, superuser, org, resident):
    client.force_login(superuser)
    response = client.post(
        reverse("admin:accounts_membership_add"), {"user": resident.pk, "organisation": org.pk, "role": "moderator"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    membership = Membership.objects.get(user=resident, role="moderator")
    assert membership.granted_by == superuser
    entry = AuditEntry.objects.get()
    assert (entry.name, entry.actor_id, entry.to_state) == ("membership_grant", superuser.pk, "moderator")
    response = client.post(reverse("admin:accounts_membership_delete", args=[membership.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert AuditEntry.objects.latest("id").name == "membership_revoke"


def test_moving_a_deadline_in_the_admin_is_audited_with_both_dates(client, superuser, make_ticket):
    import datetime as dt

    from django.utils import timezone

    from workflows.models import Deadline
    from workflows.services import deadline_schedule

    ticket = make_ticket()
    due = timezone.now().replace(microsecond=0) + dt.timedelta(days=3)
    deadline = deadline_schedule(ticket, transition="submit", due_at=due)
    client.force_login(superuser)
    later = timezone.localtime(due + dt.timedelta(days=7))
    response = client.post(
        reverse("admin:workflows_deadline_change", args=[deadline.pk]),
        {"due_at_0": later.strftime("%Y-%m-%d"), "due_at_1": later.strftime("%H:%M:%S")},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Deadline.objects.get(pk=deadline.pk).due_at == later
    entry = AuditEntry.objects.get(name="deadline_changed")
    assert (entry.record_id, entry.actor_id, entry.organisation_id) == (str(ticket.pk), superuser.pk, ticket.organisation_id)
    assert entry.payload["due_at_before"] == due.isoformat() and entry.payload["due_at"] == later.isoformat()
