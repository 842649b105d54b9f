"""Acts that change what counts write an audit entry with what changed: a signature withdrawn, the
petition rules of an organisation, one petition's thresholds (through the services and the admin)."""

import pytest
from django.urls import reverse

from petitions import services
from petitions.models import Petition, PetitionPolicy
from petitions.selectors import petition_total
from tests.petitions.conftest import last_confirm_token, sign, sign_and_confirm
from workflows.errors import PermissionDenied, TransitionNotAllowed, ValidationFailed
from workflows.models import AuditEntry
from workflows.selectors import audit_verify
from workflows.services import transition


@pytest.fixture
def superuser(make_user):
    return make_user(email="root@example.com", is_staff=True, is_superuser=True)


def latest(name: str) -> AuditEntry:
    return AuditEntry.objects.filter(name=name).latest("id")


def test_it_records_the_thresholds_a_petition_is_created_with(org, policy, resident):
    petition = services.petition_create(organisation=org, author=resident, kind="general", title="ขอถนน", body="ถนนพัง")
    entry = latest("create")
    assert entry.record_id == str(petition.pk)
    assert entry.payload == {
        "kind": "general",
        "thresholds": {"sponsors_required": 2, "response_threshold": 3, "council_threshold": 5},
    }


def test_a_withdrawn_signature_is_audited_with_the_count_before_and_after(open_ordinance):
    sign_and_confirm(open_ordinance, 1)
    signature = sign_and_confirm(open_ordinance, 2)
    token = services.signature_token(signature)
    services.signature_withdraw(token=token)
    entry = latest("signature_withdrawn")
    assert (entry.record_type, entry.record_id) == ("petitions.petition", str(open_ordinance.pk))
    assert (entry.from_state, entry.to_state, entry.actor_id, entry.actor_role) == ("2", "1", None, "public")
    assert entry.payload["counted"] is True and petition_total(open_ordinance.pk) == 1
    assert audit_verify().ok


def test_withdrawing_a_pending_signature_is_audited_and_changes_no_count(open_ordinance):
    signature, _ = sign(open_ordinance, 3)
    services.signature_withdraw(token=last_confirm_token(signature.email))
    entry = latest("signature_withdrawn")
    assert (entry.from_state, entry.to_state) == ("0", "0") and entry.payload["counted"] is False


def test_a_policy_change_is_audited_with_the_values_before_and_after(org, policy, admin_user):
    services.petition_policy_update(
        actor=admin_user, organisation_id=org.pk, values={"council_threshold": 900, "signing_days": 90}
    )
    entry = latest("policy_changed")
    assert (entry.record_type, entry.record_id, entry.organisation_id) == ("petitions.petitionpolicy", str(policy.pk), org.pk)
    assert entry.payload == {"before": {"council_threshold": 5}, "after": {"council_threshold": 900}, "created": False}
    assert entry.actor_role == "admin"
    assert PetitionPolicy.objects.get(pk=policy.pk).council_threshold == 900


def test_creating_the_policy_counts_as_a_change_from_the_defaults(org, admin_user):
    services.petition_policy_update(actor=admin_user, organisation_id=org.pk, values={"sponsors_required": 3})
    entry = latest("policy_changed")
    assert entry.payload == {"before": {"sponsors_required": 5}, "after": {"sponsors_required": 3}, "created": True}


def test_saving_a_policy_unchanged_writes_nothing(org, policy, admin_user):
    services.petition_policy_update(actor=admin_user, organisation_id=org.pk, values={"council_threshold": 5})
    assert not AuditEntry.objects.filter(name="policy_changed").exists()


@pytest.mark.parametrize(
    ("values", "field"),
    [({"council_threshold": -1}, "council_threshold"), ({"organisation_id": 7}, "organisation_id"), ({"nope": 1}, "nope")],
)
def test_a_bad_policy_value_is_refused_and_nothing_is_written(org, policy, admin_user, values, field):
    with pytest.raises(ValidationFailed) as caught:
        services.petition_policy_update(actor=admin_user, organisation_id=org.pk, values=values)
    assert field in caught.value.details
    assert not AuditEntry.objects.filter(name="policy_changed").exists()
    assert PetitionPolicy.objects.get(pk=policy.pk).council_threshold == 5


def test_only_an_administrator_changes_the_rules(org, policy, moderator):
    with pytest.raises(PermissionDenied):
        services.petition_policy_update(actor=moderator, organisation_id=org.pk, values={"council_threshold": 1})


def test_a_policy_saved_in_the_admin_is_audited_and_cannot_be_deleted(client, superuser, org, policy):
    client.force_login(superuser)
    url = reverse("admin:petitions_petitionpolicy_change", args=[policy.pk])
    form = {name: getattr(policy, name) for name in services.POLICY_FIELDS}
    response = client.post(url, form | {"response_threshold": 250})
    assert response.status_code == 302, response.content.decode()[:3000]
    entry = latest("policy_changed")
    assert entry.payload["before"] == {"response_threshold": 3} and entry.payload["after"] == {"response_threshold": 250}
    assert entry.actor_id == superuser.pk
    delete = client.post(reverse("admin:petitions_petitionpolicy_delete", args=[policy.pk]), {"post": "yes"})
    assert delete.status_code == 403 and PetitionPolicy.objects.filter(pk=policy.pk).exists()


def test_a_consultation_policy_saved_in_the_admin_is_audited(client, superuser, org):
    from consultations.models import ConsultationPolicy

    client.force_login(superuser)
    response = client.post(
        reverse("admin:consultations_consultationpolicy_add"),
        {"organisation": org.pk, "min_hearing_days": 20, "auto_hide_reports": 3, "closing_soon_days": 2, "edit_minutes": 15},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    policy = ConsultationPolicy.objects.get(organisation=org)
    entry = latest("policy_changed")
    assert (entry.record_type, entry.record_id) == ("consultations.consultationpolicy", str(policy.pk))
    assert entry.payload == {"before": {"min_hearing_days": 15}, "after": {"min_hearing_days": 20}, "created": True}


def test_lowering_a_petitions_threshold_is_audited_and_makes_the_move_it_now_allows(open_petition, admin_user):
    for n in range(2):
        sign_and_confirm(open_petition, n)
    petition = services.petition_thresholds_set(
        petition=open_petition, actor=admin_user, values={"response_threshold": 2}, reason="มติสภา 3/2569"
    )
    entry = latest("thresholds_changed")
    assert entry.payload == {"before": {"response_threshold": 3}, "after": {"response_threshold": 2}}
    assert entry.reason == "มติสภา 3/2569"
    assert petition.response_threshold == 2 and petition.response_state == "awaiting_response"
    assert AuditEntry.objects.filter(name="require_response", id__gt=entry.pk).exists()
    assert audit_verify().ok


def test_lowering_the_sponsors_needed_moves_a_petition_on_to_moderation(org, policy, resident, sponsors, admin_user):
    from tests.petitions.conftest import make_petition

    petition = make_petition(org, resident, state="collecting_sponsors")
    services.sponsor_add(petition_id=petition.pk, user=sponsors[0], token=petition.sponsor_token)
    petition = services.petition_thresholds_set(
        petition=petition, actor=admin_user, values={"sponsors_required": 1}, reason="ระเบียบใหม่"
    )
    assert petition.state == "awaiting_moderation"


def test_thresholds_need_an_administrator_a_reason_and_sense(open_petition, open_ordinance, moderator, admin_user):
    with pytest.raises(PermissionDenied):
        services.petition_thresholds_set(petition=open_petition, actor=moderator, values={"council_threshold": 1}, reason="x")
    with pytest.raises(ValidationFailed) as caught:
        services.petition_thresholds_set(petition=open_petition, actor=admin_user, values={"council_threshold": 0}, reason="")
    assert set(caught.value.details) == {"council_threshold", "reason"}
    with pytest.raises(ValidationFailed) as caught:
        services.petition_thresholds_set(petition=open_ordinance, actor=admin_user, values={"response_threshold": 9}, reason="x")
    assert set(caught.value.details) == {"response_threshold"}
    assert not AuditEntry.objects.filter(name="thresholds_changed").exists()


def test_thresholds_are_final_once_signing_has_ended(open_petition, moderator, admin_user):
    closed = transition(open_petition, "close_early", actor=moderator, reason="ครบกำหนด")
    with pytest.raises(TransitionNotAllowed):
        services.petition_thresholds_set(petition=closed, actor=admin_user, values={"council_threshold": 1}, reason="x")


def test_thresholds_changed_in_the_admin_go_through_the_service(client, superuser, open_petition):
    client.force_login(superuser)
    url = reverse("admin:petitions_petition_change", args=[open_petition.pk])
    assert client.get(url).status_code == 200
    form = {"sponsors_required": 2, "response_threshold": 3, "council_threshold": 50, "reason": "ขยายตามระเบียบ"}
    response = client.post(url, form)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Petition.objects.get(pk=open_petition.pk).council_threshold == 50
    entry = latest("thresholds_changed")
    assert entry.payload == {"before": {"council_threshold": 5}, "after": {"council_threshold": 50}}
    assert entry.actor_id == superuser.pk and entry.reason == "ขยายตามระเบียบ"
    assert client.post(url, form | {"reason": ""}).status_code == 200  # the form asks for the reason again
