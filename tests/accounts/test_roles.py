"""Staff roles are granted only by an admin of the organisation, and each grant is audited."""

import pytest

from accounts.selectors import has_role
from workflows.errors import PermissionDenied, ValidationFailed
from workflows.models import AuditEntry
from workflows.selectors import audit_verify
from workflows.services import membership_grant, membership_revoke


def test_an_admin_grants_a_staff_role_and_the_audit_shows_it(org, admin_user, resident):
    membership = membership_grant(admin=admin_user, user=resident, organisation=org, role="moderator")
    assert membership.granted_by == admin_user and has_role(resident, org, "moderator")
    entry = AuditEntry.objects.get()
    assert (entry.name, entry.actor_id, entry.actor_role, entry.to_state) == (
        "membership_grant",
        admin_user.pk,
        "admin",
        "moderator",
    )
    assert membership_grant(admin=admin_user, user=resident, organisation=org, role="moderator") == membership  # idempotent
    assert AuditEntry.objects.count() == 1
    assert membership_revoke(admin=admin_user, user=resident, organisation=org, role="moderator") is True
    assert not has_role(resident, org, "moderator")
    assert AuditEntry.objects.latest("id").name == "membership_revoke" and audit_verify().ok


def test_nobody_else_may_grant_roles(org, moderator, resident, make_user, other_org):
    other_admin = make_user("admin", org=other_org)
    for granter in (moderator, resident, other_admin):
        with pytest.raises(PermissionDenied):
            membership_grant(admin=granter, user=resident, organisation=org, role="clerk")
    with pytest.raises(PermissionDenied):
        membership_revoke(admin=moderator, user=moderator, organisation=org, role="moderator")
    assert not has_role(resident, org, "clerk") and not AuditEntry.objects.exists()


def test_an_unknown_role_is_refused(org, admin_user, resident):
    with pytest.raises(ValidationFailed):
        membership_grant(admin=admin_user, user=resident, organisation=org, role="mayor")
