"""Reads of the engine shared by the API and the pages: the public audit trail and its check."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import STAFF_ROLES

from .models import GENESIS_HASH, AuditChainHead, AuditCheckpoint, AuditEntry, payload_digest, payload_normal

ROLE_LABELS = {
    "admin": gettext_lazy("administrator"),
    "clerk": gettext_lazy("clerk"),
    "moderator": gettext_lazy("moderator"),
    "integrity": gettext_lazy("integrity officer"),
    "resident": gettext_lazy("resident"),
    "system": gettext_lazy("system"),
    "user": gettext_lazy("resident"),
    "public": gettext_lazy("public"),
}


def audit_entries(
    *, record_type: str = "", record_id: str = "", organisation: str | int | None = None, include_private: bool = False
) -> QuerySet:
    """Audit entries, newest first, with the actor loaded (for staff display names). Entries of private
    records (integrity reports) only with include_private, for the API to publish them redacted."""
    from . import registry

    qs = AuditEntry.objects.select_related("actor").order_by("-id")
    if not include_private:
        qs = qs.exclude(record_type__in=registry.private_labels())
    if record_type:
        qs = qs.filter(record_type=record_type)
    if record_id:
        qs = qs.filter(record_id=str(record_id))
    if organisation not in (None, ""):
        if str(organisation).isdigit():
            qs = qs.filter(organisation_id=int(organisation))
        else:
            qs = qs.filter(organisation_id__in=_org_ids_by_slug(str(organisation)))
    return qs


def _org_ids_by_slug(slug: str) -> list[int]:
    from accounts.models import Organisation

    return list(Organisation.objects.filter(slug=slug).values_list("pk", flat=True))


def actor_display(entry: AuditEntry) -> dict:
    """Who made a move, as the public may see it: the role always, a name only for staff
    (acting in office), never an email; residents are "resident"."""
    role = entry.actor_role
    name = ""
    if role in STAFF_ROLES and entry.actor_id is not None and entry.actor is not None:
        name = entry.actor.full_name or ""
    return {"role": role, "role_label": str(ROLE_LABELS.get(role, role)), "name": name}


@dataclass
class AuditReport:
    ok: bool
    entries: int
    first_broken: dict | None = None
    problem: str = ""
    code: str = ""
    extra: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        if self.ok:
            return {"ok": True, "entries": self.entries}
        return {
            "ok": False,
            "entries": self.entries,
            "first_broken": self.first_broken,
            "problem": self.problem,
            "code": self.code,
        }


def _describe(entry: AuditEntry) -> dict:
    from . import registry

    if entry.record_type in registry.private_labels():  # say where the chain broke, not what the record is
        return {"id": entry.pk, "record_type": entry.record_type, "created_at": entry.created_at.isoformat()}
    return {
        "id": entry.pk,
        "record_type": entry.record_type,
        "record_id": entry.record_id,
        "name": entry.name,
        "created_at": entry.created_at.isoformat(),
    }


def audit_verify(*, chunk_size: int = 2000) -> AuditReport:
    """Walk the whole chain in id order: each entry's prev_hash must be the hash before it,
    each hash must be sha256(prev_hash + canonical content) recomputed here, and the chain
    head must point at the last entry (so removing entries from the end is caught too)."""
    prev = GENESIS_HASH
    count = 0
    last = None
    for entry in AuditEntry.objects.order_by("id").iterator(chunk_size=chunk_size):
        if entry.prev_hash != prev:
            return AuditReport(
                False, count, _describe(entry),
                _("prev_hash does not match the hash of the entry before it (an entry was changed or removed)"),
                "link_broken",
            )  # fmt: skip
        if entry.compute_hash() != entry.hash:
            return AuditReport(
                False, count, _describe(entry), _("the stored hash does not match the entry's content"), "hash_mismatch"
            )
        if entry.format >= 2 and payload_digest(entry.payload) != entry.payload_digest:
            return AuditReport(
                False, count, _describe(entry), _("the published payload does not match the entry's digest"), "payload_mismatch"
            )
        prev = entry.hash
        last = entry
        count += 1
    head = AuditChainHead.objects.filter(pk=1).first()
    head_hash = head.last_hash if head else GENESIS_HASH
    head_id = head.last_entry_id if head else None
    if head_hash != prev or (last is not None and head_id != last.pk):
        broken = {"id": head_id, "last_present_id": last.pk if last is not None else None}
        return AuditReport(
            False, count, broken, _("the chain head does not point at the last entry (entries were removed)"), "head_mismatch"
        )
    for check in (_checkpoints_verify, _published_verify, *_checks):
        report = check(count)
        if report is not None:
            return report
    return AuditReport(True, count, extra={"checkpoints": AuditCheckpoint.objects.count()})


_checks: list = []


def register_check(check) -> None:
    """A domain app adds a check of its own records against the chain (a petition's signature log):
    `check(count)` returns an AuditReport naming the first problem, or None. The engine knows no app."""
    if check not in _checks:
        _checks.append(check)


def _checkpoints_verify(count: int) -> AuditReport | None:
    """Every signed checkpoint must carry a valid signature by the site's key and name an entry that
    is still there with the same hash and position: a rewrite with recomputed hashes, or removed
    entries, contradict the checkpoints signed before."""
    from .anchoring import public_key_hex, signature_valid

    key = public_key_hex()
    for checkpoint in AuditCheckpoint.objects.order_by("id").iterator():
        where = {"id": checkpoint.entry_id, "checkpoint": checkpoint.pk, "created_at": checkpoint.created_at.isoformat()}
        if checkpoint.key_id != key or not signature_valid(checkpoint, key):
            return AuditReport(False, count, where, _("a checkpoint is not signed by this site's key"), "checkpoint_signature")
        entry = AuditEntry.objects.filter(pk=checkpoint.entry_id).only("hash").first()
        if entry is None:
            return AuditReport(
                False, count, where, _("an entry a signed checkpoint covers is gone (entries were removed)"), "checkpoint_missing"
            )
        if entry.hash != checkpoint.entry_hash or AuditEntry.objects.filter(id__lte=entry.pk).count() != checkpoint.entries:
            return AuditReport(
                False,
                count,
                where,
                _("the chain differs from a signed checkpoint (entries were rewritten)"),
                "checkpoint_mismatch",
            )
    return None


def published_latest() -> dict[tuple[str, str], AuditEntry]:
    """The newest entry binding published content, per record."""
    latest: dict[tuple[str, str], AuditEntry] = {}
    for entry in AuditEntry.objects.filter(format__gte=2, payload__has_key="published").order_by("id").iterator():
        latest[(entry.record_type, entry.record_id)] = entry
    return latest


def published_current(record_type: str, record_id: str) -> dict | None:
    """What the public reads now of one record (None: no such record or nothing published)."""
    from . import registry

    machine = registry.machine_by_label(record_type)
    if machine is None or machine.published is None:
        return None
    record = machine.model._default_manager.filter(pk=record_id).first()
    return None if record is None else payload_normal(machine.published(record))


def _published_verify(count: int) -> AuditReport | None:
    """The decisions, answers and responses the public reads now must be what the chain recorded."""
    for (record_type, record_id), entry in published_latest().items():
        if published_current(record_type, record_id) != entry.payload["published"]:
            return AuditReport(
                False, count, _describe(entry),
                _("the published text of this record differs from what the audit chain recorded"), "content_mismatch",
            )  # fmt: skip
    return None
