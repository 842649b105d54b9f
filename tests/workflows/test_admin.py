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
    for name in ("accounts_user", "accounts_organisation", "workflows_deadline", "workflows_auditchainhead"):
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
