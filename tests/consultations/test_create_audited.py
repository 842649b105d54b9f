"""Creating a consultation appends its entry (the settings it starts with; a draft's text is not public yet)."""

from consultations import services
from workflows.models import AuditEntry
from workflows.selectors import audit_verify


def test_creating_a_consultation_is_audited_with_its_settings(org, moderator):
    villages = list(org.villages.filter(number__in=[2, 4]))
    c = services.consultation_create(
        organisation=org, actor=moderator, title="แผนพัฒนาท้องถิ่น", level="involve", body="ร่างแผน",
        village_ids=[v.pk for v in villages],
    )  # fmt: skip
    entry = AuditEntry.objects.get(record_type="consultations.consultation", record_id=str(c.pk))
    assert (entry.name, entry.to_state, entry.actor_id, entry.actor_role) == ("create", "draft", moderator.pk, "moderator")
    assert entry.payload == {
        "level": "involve", "moderation": "post", "voting": "single", "show_tallies_during_voting": False,
        "villages": [2, 4],
    }  # fmt: skip
    assert "ร่างแผน" not in str(entry.payload)
    assert audit_verify().ok
