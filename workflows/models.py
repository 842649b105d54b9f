"""The engine's own tables: the base of every workflow record, the audit chain, deadlines."""

import datetime as dt
import hashlib
import json
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMModelMixin

GENESIS_HASH = "0" * 64

# The chains (docs/AUDIT.md, "Chains"): entries of format 3 belong to the chain of their
# organisation (or the site's chain, for entries with none); older entries (formats 1 and 2) form
# the legacy chain, frozen when migration 0006 split the one chain.
LEGACY_CHAIN = -1
SITE_CHAIN = 0


def chain_name(chain: int) -> str:
    """How a chain is named in checkpoints and on the public API."""
    if chain == LEGACY_CHAIN:
        return "legacy"
    return "site" if chain == SITE_CHAIN else f"organisation:{chain}"


def chain_key(name: str) -> int | None:
    """The inverse of chain_name (None: not a chain's name)."""
    if name == "legacy":
        return LEGACY_CHAIN
    if name == "site":
        return SITE_CHAIN
    prefix, _sep, number = name.partition(":")
    return int(number) if prefix == "organisation" and number.isdigit() and int(number) > 0 else None


def chain_genesis(chain: int, *, legacy_hash: str, legacy_entries: int) -> str:
    """The prev_hash of a chain's first entry: it binds the chain to its name and to the head of the
    legacy chain (its hash and length) as it stood when the chain began."""
    if chain == LEGACY_CHAIN:
        return GENESIS_HASH
    body = {"chain": chain_name(chain), "legacy_head": legacy_hash, "legacy_entries": legacy_entries}
    text = "ruamkid-chain-v1\n" + json.dumps(body, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


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


class AppendOnly(models.Model):
    """Rows that are written once: update and delete refused here (and by triggers on PostgreSQL)."""

    objects = AuditQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AuditImmutable(f"{self._meta.verbose_name_plural} are append-only: update refused")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditImmutable(f"{self._meta.verbose_name_plural} are append-only: delete refused")


class AuditEntry(AppendOnly):
    """One move or moderation act, hash-chained to the one before it in its chain.

    hash = sha256(prev_hash + canonical JSON of this entry's content). Updates and deletes are
    refused here and, on PostgreSQL, by a trigger (migration 0002).

    Format 3 (every entry written since migration 0006): the same content as format 2, but the
    entry belongs to the chain of its organisation (`chain`), so moves of different organisations
    never wait for each other; the hash covers the organisation and the format, so an entry cannot
    be moved to another chain.

    Format 2 (every entry written since migration 0003) is verifiable from outside: the act's
    payload is stored and published with it, and the actor appears as a stable pseudonym
    (`actor_ref`) instead of a user id, so anyone can recompute payload_digest and hash from
    /api/v1/audit/ alone (docs/AUDIT.md). Format 1 entries (older) hashed the user id.
    """

    FORMAT = 3

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
    # Format 2: the payload itself (JSON, published; never personal data) and the actor's pseudonym.
    format = models.PositiveSmallIntegerField(default=FORMAT, db_default=1)
    payload = models.JSONField(null=True, blank=True)
    actor_ref = models.CharField(max_length=32, blank=True, default="")
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["record_type", "record_id", "id"], name="audit_record_idx")]
        verbose_name_plural = _("audit entries")

    def __str__(self) -> str:
        return f"#{self.pk} {self.record_type}:{self.record_id} {self.name}"

    def canonical(self) -> str:
        fields = self.hashed_fields()
        if self.format < 2:  # format 1 hashed the user id instead of the pseudonym, and no format
            del fields["format"], fields["actor_ref"]
            fields["actor"] = self.actor_id
        return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    def hashed_fields(self) -> dict:
        """The content a format-2 hash covers, exactly as /api/v1/audit/ publishes it."""
        return {
            "format": self.format,
            "organisation": self.organisation_id,
            "record_type": self.record_type,
            "record_id": str(self.record_id),
            "action": self.action,
            "name": self.name,
            "actor_ref": self.actor_ref,
            "actor_role": self.actor_role,
            "created_at": self.created_at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
            "from_state": self.from_state,
            "to_state": self.to_state,
            "reason": self.reason,
            "payload_digest": self.payload_digest,
        }

    def compute_hash(self) -> str:
        return hashlib.sha256((self.prev_hash + self.canonical()).encode()).hexdigest()

    @property
    def chain(self) -> int:
        if self.format < 3:
            return LEGACY_CHAIN
        return self.organisation_id or SITE_CHAIN


class AuditChainHead(models.Model):
    """The head of one chain: the row locked while an entry is appended to that chain, so each chain
    has one order and chains do not wait for each other. `chain` is the organisation's id,
    SITE_CHAIN (0) for entries with no organisation, LEGACY_CHAIN (-1) for the frozen legacy chain."""

    chain = models.BigIntegerField(primary_key=True)
    last_hash = models.CharField(max_length=64, default=GENESIS_HASH)
    last_entry_id = models.BigIntegerField(null=True)
    entries = models.PositiveBigIntegerField(default=0)  # how many entries the chain holds

    def __str__(self) -> str:
        return f"audit head of {chain_name(self.chain)} at #{self.last_entry_id}"

    def as_signed(self) -> dict:
        """This head as a checkpoint signs it."""
        return {"chain": chain_name(self.chain), "entry_id": self.last_entry_id, "entry_hash": self.last_hash,
                "entries": self.entries}  # fmt: skip


def payload_normal(payload) -> dict:
    """The payload as JSON stores and publishes it (dates and decimals as strings)."""
    return json.loads(json.dumps(payload or {}, default=str))


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


class AuditCheckpoint(AppendOnly):
    """Every chain head signed with the site's Ed25519 key (workflows.anchoring): at least daily and
    on every published decision. Copies held outside the database (webhook subscribers, anyone who
    saves one with tools/verify_record.py) make a rewrite by a database superuser visible.

    Version 2 (since migration 0006) signs `heads`, the head of every chain; entry_id and
    entry_hash are then the newest entry of any chain, and entries the total. Version 1 signed the
    one chain (now the legacy chain)."""

    VERSION = 2

    version = models.PositiveSmallIntegerField(default=VERSION, db_default=1)
    entry_id = models.BigIntegerField()
    entry_hash = models.CharField(max_length=64)
    entries = models.PositiveBigIntegerField()  # v1: how many entries the chain held up to entry_id; v2: all chains
    heads = models.JSONField(null=True, blank=True)  # v2: [{"chain", "entry_id", "entry_hash", "entries"}]
    created_at = models.DateTimeField(default=timezone.now)
    reason = models.CharField(max_length=100)
    key_id = models.CharField(max_length=64)  # the public key, hex
    signature = models.CharField(max_length=128)  # Ed25519 over statement(), hex

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"checkpoint at #{self.entry_id} ({self.reason})"

    def statement(self) -> bytes:
        return checkpoint_statement(
            entry_id=self.entry_id, entry_hash=self.entry_hash, entries=self.entries,
            created_at=self.created_at.astimezone(dt.UTC).isoformat(timespec="microseconds"), reason=self.reason,
            version=self.version, heads=self.heads,
        )  # fmt: skip


def checkpoint_statement(
    *, entry_id: int, entry_hash: str, entries: int, created_at: str, reason: str, version: int = 1, heads=None
) -> bytes:
    """The bytes a checkpoint signs (docs/AUDIT.md)."""
    body = {"entry_id": entry_id, "entry_hash": entry_hash, "entries": entries, "created_at": created_at, "reason": reason}
    if version >= 2:
        body["heads"] = heads
    return (f"ruamkid-checkpoint-v{version}\n" + json.dumps(body, sort_keys=True, separators=(",", ":"))).encode()


class AuditWebhook(models.Model):
    """An outside party (the press, ป.ป.ช.) that receives every signed checkpoint by HTTP POST."""

    url = models.URLField(max_length=500, unique=True)
    secret = models.CharField(max_length=128, blank=True, help_text=_("Signs each POST (X-Ruamkid-Signature: HMAC-SHA256)."))
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_status = models.CharField(max_length=200, blank=True)
    last_sent_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.url


def attachment_path(instance, filename: str) -> str:
    # The stored name never carries what the uploader called the file (it may hold their name).
    now = timezone.now()
    return f"attachments/{now:%Y/%m}/{secrets.token_hex(16)}.{filename.rsplit('.', 1)[-1].lower()}"


class Attachment(models.Model):
    """A PDF document or an image attached to a workflow record or to one part of it (a
    consultation's decision, one progress update), stored through Django's storage API
    (STORAGES["default"]). Written only by workflows.attachments; checked by workflows.files."""

    class Kind(models.TextChoices):
        PDF = "pdf", _("PDF document")
        IMAGE = "image", _("image")

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    record_type = models.CharField(max_length=100)  # app_label.model
    record_id = models.CharField(max_length=64)
    part = models.CharField(max_length=40, blank=True, default="")  # "" = the record itself
    kind = models.CharField(max_length=10, choices=Kind.choices)
    file = models.FileField(upload_to=attachment_path, max_length=200)
    thumbnail = models.FileField(upload_to=attachment_path, max_length=200, blank=True)
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    title = models.CharField(_("title"), max_length=200)
    alt_text = models.CharField(_("alternative text"), max_length=500, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["record_type", "record_id", "part"], name="attachment_record_idx")]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.title
