"""The engine's own tables: the base of every workflow record, the audit chain, deadlines."""

import datetime as dt
import hashlib
import json

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMModelMixin

GENESIS_HASH = "0" * 64


class WorkflowRecord(FSMModelMixin, models.Model):
    """Base for records that move through a state machine.

    Subclasses declare their FSMField(protected=True) and @transition methods; only
    workflows.services.transition() calls those methods. `version` grows by one with each
    move, so a client that read version N can ask for its move to apply only to N.
    """

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        abstract = True


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AuditImmutable("audit entries are append-only: update refused")

    def delete(self):
        raise AuditImmutable("audit entries are append-only: delete refused")


class AuditImmutable(Exception):
    pass


class AuditEntry(models.Model):
    """One move or moderation act, hash-chained to the one before it.

    hash = sha256(prev_hash + canonical JSON of this entry's content). Updates and deletes are
    refused here and, on PostgreSQL, by a trigger (migration 0002).
    """

    class Action(models.TextChoices):
        TRANSITION = "transition", _("transition")
        MODERATION = "moderation", _("moderation")
        SYSTEM = "system", _("system")

    organisation = models.ForeignKey(
        "accounts.Organisation", null=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    record_type = models.CharField(max_length=100)  # app_label.model
    record_id = models.CharField(max_length=64)
    action = models.CharField(max_length=20, choices=Action.choices)
    name = models.CharField(max_length=100)
    # No database constraint: erasing a person (PDPA) must not touch the chain.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    actor_role = models.CharField(max_length=20)
    created_at = models.DateTimeField()
    from_state = models.CharField(max_length=50, blank=True)
    to_state = models.CharField(max_length=50, blank=True)
    reason = models.TextField(blank=True)
    payload_digest = models.CharField(max_length=64)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["record_type", "record_id", "id"], name="audit_record_idx")]
        verbose_name_plural = _("audit entries")

    def __str__(self) -> str:
        return f"#{self.pk} {self.record_type}:{self.record_id} {self.name}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AuditImmutable("audit entries are append-only: update refused")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditImmutable("audit entries are append-only: delete refused")

    def canonical(self) -> str:
        content = {
            "organisation": self.organisation_id,
            "record_type": self.record_type,
            "record_id": str(self.record_id),
            "action": self.action,
            "name": self.name,
            "actor": self.actor_id,
            "actor_role": self.actor_role,
            "created_at": self.created_at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
            "from_state": self.from_state,
            "to_state": self.to_state,
            "reason": self.reason,
            "payload_digest": self.payload_digest,
        }
        return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    def compute_hash(self) -> str:
        return hashlib.sha256((self.prev_hash + self.canonical()).encode()).hexdigest()


class AuditChainHead(models.Model):
    """A single row locked while an entry is appended, so the chain has one order."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_hash = models.CharField(max_length=64, default=GENESIS_HASH)
    last_entry_id = models.BigIntegerField(null=True)

    def __str__(self) -> str:
        return f"audit head at #{self.last_entry_id}"


def payload_digest(payload) -> str:
    canonical = json.dumps(payload or {}, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


class Deadline(models.Model):
    """A move that the system makes when `due_at` passes (manage.py advance_workflows)."""

    record_type = models.CharField(max_length=100)
    record_id = models.CharField(max_length=64)
    transition = models.CharField(max_length=100)
    due_at = models.DateTimeField(db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["record_type", "record_id", "transition"],
                condition=models.Q(done_at__isnull=True),
                name="deadline_one_pending_per_move",
            )
        ]

    def __str__(self) -> str:
        return f"{self.record_type}:{self.record_id} {self.transition} @ {self.due_at:%Y-%m-%d %H:%M}"
