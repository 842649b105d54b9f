"""Reads of the engine shared by the API and the pages: the public audit trail and its check."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import STAFF_ROLES

from .models import (
    GENESIS_HASH,
    LEGACY_CHAIN,
    SITE_CHAIN,
    AuditChainHead,
    AuditCheckpoint,
    AuditEntry,
    chain_genesis,
    chain_key,
    chain_name,
    payload_digest,
    payload_normal,
)

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
    *,
    record_type: str = "",
    record_id: str = "",
    organisation: str | int | None = None,
    chain: int | None = None,
    include_private: bool = False,
) -> QuerySet:
    """Audit entries, newest first, with the actor loaded (for staff display names). Entries of private
    records (integrity reports) only with include_private, for the API to publish them redacted.
    `chain`: only the entries of one chain (LEGACY_CHAIN, SITE_CHAIN or an organisation's id)."""
    from . import registry

    qs = AuditEntry.objects.select_related("actor").order_by("-id")
    if chain is not None:
        qs = chain_entries(qs, chain)
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


def chain_entries(qs: QuerySet, chain: int) -> QuerySet:
    """The entries of one chain."""
    if chain == LEGACY_CHAIN:
        return qs.filter(format__lt=3)
    qs = qs.filter(format__gte=3)
    return qs.filter(organisation_id=chain) if chain else qs.filter(organisation_id__isnull=True)


def organisation_chain(value: str) -> int | None:
    """The chain an organisation's id or slug names ("site": the site's chain); None: no such one."""
    from accounts.models import Organisation

    value = str(value).strip()
    if value == "site":
        return SITE_CHAIN
    found = Organisation.objects.filter(pk=int(value)) if value.isdigit() else Organisation.objects.filter(slug=value)
    return found.values_list("pk", flat=True).first()


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
        chains = {"chains": self.extra["chains"]} if "chains" in self.extra else {}
        if self.ok:
            return {"ok": True, "entries": self.entries, **chains}
        return {
            "ok": False,
            "entries": self.entries,
            "first_broken": self.first_broken,
            "problem": self.problem,
            "code": self.code,
            **chains,
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


def audit_verify(*, organisation: int | None = None, chunk_size: int = 2000) -> AuditReport:
    """Walk every chain in id order (or, with `organisation`, the chain of that organisation; 0 is
    the site's chain): each entry's prev_hash must be the hash before it in its chain (the first
    one's its chain's genesis, which binds the legacy chain's head), each hash must be
    sha256(prev_hash + canonical content) recomputed here, each chain's head must point at its
    last entry (so removing entries from the end is caught too), and every signed checkpoint must
    still hold. `extra["chains"]` says how many entries each chain holds."""
    checkpoints = list(AuditCheckpoint.objects.order_by("id"))
    only = None if organisation is None else int(organisation)
    wanted = _checkpoint_entry_ids(checkpoints, only)
    positions: dict[int, tuple[int, int, str]] = {}  # entry id -> (chain, position in it, hash), for checkpoints
    state: dict[int, list] = {}  # chain -> [last hash, entries, last entry]
    entries = AuditEntry.objects.order_by("id")
    legacy_before = None
    if only is not None:
        entries = chain_entries(entries, only)
        legacy_before = _legacy_head_before
    count = 0
    for entry in entries.iterator(chunk_size=chunk_size):
        chain = entry.chain
        now = state.get(chain)
        if now is None:
            if legacy_before is not None:
                legacy_hash, legacy_entries = legacy_before(entry.pk)
            else:
                legacy = state.get(LEGACY_CHAIN)
                legacy_hash, legacy_entries = (legacy[0], legacy[1]) if legacy else (GENESIS_HASH, 0)
            now = state[chain] = [chain_genesis(chain, legacy_hash=legacy_hash, legacy_entries=legacy_entries), 0, None]
        if entry.prev_hash != now[0]:
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
        now[0], now[1], now[2] = entry.hash, now[1] + 1, entry.pk
        if entry.pk in wanted:
            positions[entry.pk] = (chain, now[1], entry.hash)
        count += 1
    report = _heads_verify(state, count, only)
    if report is None:
        report = _checkpoints_verify(count, checkpoints, positions, only)
    chains = {chain_name(chain): now[1] for chain, now in sorted(state.items())}
    if report is None:
        report = _published_verify(count, organisation=only)
    for check in _checks if only is None else ():  # the apps' checks (signature logs) span every chain
        report = report or check(count)
    if report is not None:
        report.extra["chains"] = chains
        return report
    return AuditReport(True, count, extra={"checkpoints": len(checkpoints), "chains": chains})


def _legacy_head_before(entry_id: int) -> tuple[str, int]:
    """The legacy chain's head as it stood before entry `entry_id`: its last hash and its length."""
    legacy = AuditEntry.objects.filter(format__lt=3, id__lt=entry_id)
    last = legacy.order_by("-id").only("hash").first()
    return (last.hash, legacy.count()) if last is not None else (GENESIS_HASH, 0)


def _heads_verify(state: dict[int, list], count: int, only: int | None) -> AuditReport | None:
    """Each chain's head row must name the chain's last entry, its hash and its length; a chain with
    entries and no head row, or a head row whose chain lost its entries, is as bad."""
    heads = AuditChainHead.objects.all() if only is None else AuditChainHead.objects.filter(pk=only)
    rows = {head.chain: head for head in heads}
    for chain in sorted(set(rows) | set(state)):
        head, now = rows.get(chain), state.get(chain)
        if now is None and head is not None and head.last_entry_id is None and not head.entries:
            continue  # a chain begun in a transaction that wrote nothing
        if head is None or now is None or head.last_hash != now[0] or head.last_entry_id != now[2] or head.entries != now[1]:
            broken = {
                "id": head.last_entry_id if head else None,
                "chain": chain_name(chain),
                "last_present_id": now[2] if now else None,
            }
            return AuditReport(
                False, count, broken, _("the chain head does not point at the last entry (entries were removed)"),
                "head_mismatch",
            )  # fmt: skip
    return None


_checks: list = []


def register_check(check) -> None:
    """A domain app adds a check of its own records against the chain (a petition's signature log):
    `check(count)` returns an AuditReport naming the first problem, or None. The engine knows no app."""
    if check not in _checks:
        _checks.append(check)


def _signed_heads(checkpoint: AuditCheckpoint) -> list[dict]:
    """The chain heads a checkpoint signs: version 1 signed the one chain, now the legacy chain."""
    if checkpoint.version < 2:
        return [{"chain": "legacy", "entry_id": checkpoint.entry_id, "entry_hash": checkpoint.entry_hash,
                 "entries": checkpoint.entries}]  # fmt: skip
    return list(checkpoint.heads or [])


def _checkpoint_entry_ids(checkpoints: list[AuditCheckpoint], only: int | None) -> set[int]:
    ids = set()
    for checkpoint in checkpoints:
        for head in _signed_heads(checkpoint):
            if head.get("entry_id") is not None and (only is None or chain_key(head.get("chain", "")) == only):
                ids.add(head["entry_id"])
    return ids


def _checkpoints_verify(count: int, checkpoints, positions, only: int | None) -> AuditReport | None:
    """Every signed checkpoint must carry a valid signature by the site's key, and each chain head it
    signs must name an entry that is still there, in that chain, with the same hash and position: a
    rewrite with recomputed hashes, or removed entries, contradict the checkpoints signed before."""
    from .anchoring import public_key_hex, signature_valid

    key = public_key_hex()
    for checkpoint in checkpoints:
        where = {"id": checkpoint.entry_id, "checkpoint": checkpoint.pk, "created_at": checkpoint.created_at.isoformat()}
        if checkpoint.key_id != key or not signature_valid(checkpoint, key):
            return AuditReport(False, count, where, _("a checkpoint is not signed by this site's key"), "checkpoint_signature")
        for head in _signed_heads(checkpoint):
            chain = chain_key(str(head.get("chain", "")))
            if only is not None and chain != only:
                continue
            if not head.get("entries"):
                continue  # the chain was empty then
            where = where | {"id": head.get("entry_id"), "chain": head.get("chain")}
            found = positions.get(head.get("entry_id"))
            if found is None:
                return AuditReport(
                    False, count, where, _("an entry a signed checkpoint covers is gone (entries were removed)"),
                    "checkpoint_missing",
                )  # fmt: skip
            if found != (chain, head["entries"], head.get("entry_hash")):
                return AuditReport(
                    False, count, where, _("the chain differs from a signed checkpoint (entries were rewritten)"),
                    "checkpoint_mismatch",
                )  # fmt: skip
    return None


def published_latest(*, organisation: int | None = None) -> dict[tuple[str, str], AuditEntry]:
    """The newest entry binding published content, per record (of one organisation, if given)."""
    latest: dict[tuple[str, str], AuditEntry] = {}
    entries = AuditEntry.objects.filter(format__gte=2, payload__has_key="published")
    if organisation is not None:
        entries = entries.filter(organisation_id=organisation or None)
    for entry in entries.order_by("id").iterator():
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


def _published_verify(count: int, *, organisation: int | None = None) -> AuditReport | None:
    """The decisions, answers and responses the public reads now must be what the chain recorded."""
    for (record_type, record_id), entry in published_latest(organisation=organisation).items():
        if published_current(record_type, record_id) != entry.payload["published"]:
            return AuditReport(
                False, count, _describe(entry),
                _("the published text of this record differs from what the audit chain recorded"), "content_mismatch",
            )  # fmt: skip
    return None
