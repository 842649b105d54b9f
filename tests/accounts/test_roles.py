"""Staff roles are granted only by an admin of the organisation, and each grant is audited."""

import pytest
from django.urls import reverse

from accounts.selectors import forget_roles, has_role
from tests.conftest import error_of
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


def test_an_admin_grants_and_revokes_through_the_api(api, org, admin_user, resident):
    url = reverse("api:organisation-members", kwargs={"org": org.slug})
    response = api(admin_user).post(url, {"email": "SOMCHAI@example.com", "role": "clerk"}, format="json")
    assert response.status_code == 201, response.content
    assert has_role(resident, org, "clerk")
    members = api(admin_user).get(url).json()["members"]
    assert {"user": resident.pk, "role": "clerk"}.items() <= next(m for m in members if m["role"] == "clerk").items()
    revoke = reverse("api:organisation-member-revoke", kwargs={"org": org.slug, "user_id": resident.pk, "role": "clerk"})
    assert api(admin_user).delete(revoke).status_code == 204
    assert api(admin_user).delete(revoke).status_code == 404
    forget_roles(resident)
    assert not has_role(resident, org, "clerk")
    assert list(AuditEntry.objects.values_list("name", flat=True)) == ["membership_grant", "membership_revoke"]


def test_the_api_refuses_non_admins_and_explains_bad_input(api, org, moderator, admin_user, resident, outsider):
    url = reverse("api:organisation-members", kwargs={"org": org.slug})
    for user in (moderator, resident, outsider):
        response = api(user).post(url, {"email": resident.email, "role": "admin"}, format="json")
        assert response.status_code == 403 and error_of(response)["code"] == "forbidden"
        assert api(user).get(url).status_code == 403
    assert api().get(url).status_code in (401, 403)
    response = api(admin_user).post(url, {"email": "nobody@example.com", "role": "clerk"}, format="json")
    assert response.status_code == 400 and "email" in error_of(response)["details"]
    response = api(admin_user).post(url, {"email": resident.email, "role": "mayor"}, format="json")
    assert response.status_code == 400 and "role" in error_of(response)["details"]
    assert api(admin_user).get(reverse("api:organisation-members", kwargs={"org": "nowhere"})).status_code == 404
    assert not AuditEntry.objects.exists()
