"""Each petition's public signature log, and the receipts that let a signer find themselves in it.

Signing runs at hundreds of signatures a second; one entry per signature on the main audit chain
would make every signer wait for its single head. So the signatures have their own append-only,
hash-linked log per petition, sealed in batches, never on the signing path:

    seal(petition_id)  appends every move the log has not recorded yet (a signature confirmed,
                       withdrawn, invalidated or voided), in a deterministic order (time of the move,
                       then signature id), then appends to the MAIN chain one "signature_log_checkpoint"
                       entry for the petition: {"entries": n, "head": hash of entry n, "valid": count}

Seals run hourly before the chain head is signed (workflows.anchoring.before_checkpoint, beat's
"workflows.checkpoint"), and right after every threshold move, close, submission and hide of the
petition (machine.on_move). A log entry names a signature only by its receipt (a keyed hash the
signer got on the confirmation page and in the mail) and its village: no personal data.

The hash of entry n: sha256_hex(prev_hash + C({"petition", "position", "event", "receipt",
"village"})) with C the audit chain's canonical JSON; the first prev_hash is 64 zeros. valid = the
number of "confirmed" and "restored" events less the others. docs/AUDIT.md; tools/verify_record.py recomputes it.
"""

from __future__ import annotations

import hashlib
import json
import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.thai import keyed_hash
from workflows.models import GENESIS_HASH, AuditEntry
from workflows.selectors import AuditReport
from workflows.services import audit_append

from . import signing
from .models import Petition, SignatureLogEntry, SignatureLogEvent, SignatureLogHead, SignatureState

log = logging.getLogger(__name__)

CHECKPOINT = "signature_log_checkpoint"  # the main chain entry's name
EVENTS = frozenset(SignatureLogEvent.values)
RECEIPT_LENGTH = 32


def receipt(salt: str) -> str:
    """A signature's receipt: HMAC-SHA256 of its random salt (part of its confirmation link) with the
    server key, 32 hex digits. Known to the signer and the server; to anyone else it names nobody."""
    return keyed_hash(salt, purpose="signature-receipt")[:RECEIPT_LENGTH]


def canonical(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_hash(prev_hash: str, *, petition_id: int, position: int, event: str, receipt: str, village: int) -> str:
    body = {"petition": petition_id, "position": position, "event": event, "receipt": receipt, "village": village}
    return hashlib.sha256((prev_hash + canonical(body)).encode()).hexdigest()


COUNTING = frozenset({SignatureLogEvent.CONFIRMED, SignatureLogEvent.RESTORED})


def _weight(event: str) -> int:
    return 1 if event in COUNTING else -1


def _events(state: str, logged: str) -> list[str]:
    """The log events that take a signature from what the log recorded (`logged`) to `state`. A
    signature staff restored after the log recorded its invalidation is "restored" (it counts
    again); restored before any seal, the log records only what it is now."""
    if state == SignatureState.PENDING or state == logged:
        return []
    if state == SignatureState.CONFIRMED and logged:  # the log had it ended: staff restored it
        return [SignatureLogEvent.RESTORED.value]
    events = [SignatureLogEvent.CONFIRMED.value] if not logged else []  # every row here was confirmed once
    if state != SignatureState.CONFIRMED:
        events.append(state)
    return [e for e in events if e in EVENTS]


def seal(petition_id: int, *, reason: str = "scheduled", force: bool = False) -> AuditEntry | None:
    """Append the petition's unrecorded signature moves to its log and checkpoint the log on the
    main chain. Without anything new, a checkpoint entry is written only when `force` (a threshold,
    the close) and the log is not empty. Returns the checkpoint entry, or None. One seal at a time
    per petition (its head row is locked); signing is never blocked."""
    with transaction.atomic():
        petition = Petition.objects.filter(pk=petition_id).first()
        if petition is None:
            return None
        head, _created = SignatureLogHead.objects.select_for_update().get_or_create(petition_id=petition_id)
        rows = signing.unlogged(petition_id)
        entries, marks = [], []
        prev, position, valid = head.head_hash, head.entries, head.valid
        now = timezone.now()
        for pk, salt, state, logged, village in rows:
            events = _events(state, logged)
            if not events:
                continue
            code = receipt(salt)
            for event in events:
                position += 1
                digest = entry_hash(prev, petition_id=petition_id, position=position, event=event, receipt=code, village=village)
                entries.append(
                    SignatureLogEntry(
                        petition_id=petition_id, position=position, event=event, receipt=code, village_number=village,
                        sealed_at=now, prev_hash=prev, hash=digest,
                    )
                )  # fmt: skip
                prev, valid = digest, valid + _weight(event)
            marks.append((pk, state))
        SignatureLogEntry.objects.bulk_create(entries, batch_size=1000)
        signing.mark_logged(marks)
        before_valid = head.valid
        head.entries, head.head_hash, head.valid = position, prev, valid
        if not entries and not (force and position) and head.checkpointed == position:
            head.save()
            return None
        entry = audit_append(
            action=AuditEntry.Action.SYSTEM, name=CHECKPOINT, actor=None, record=petition, reason=reason[:200],
            from_state=str(before_valid), to_state=str(valid),
            payload={"entries": position, "head": prev, "valid": valid, "appended": len(entries)},
        )  # fmt: skip
        head.checkpointed = position
        head.save()
    return entry


def seal_all(*, reason: str = "scheduled") -> int:
    """Seal every petition with unrecorded moves (beat, before the hourly signature of the chain).
    Returns how many petitions were checkpointed."""
    done = 0
    for petition_id in signing.unlogged_petitions():
        if seal(petition_id, reason=reason) is not None:
            done += 1
    return done


def seal_after_move(petition_id: int, name: str) -> None:
    """After a move that changes what the count means (a threshold, the close), once it committed:
    checkpoint the log and sign the chain head. Never undoes the move (beat's seal retries)."""
    from workflows.anchoring import checkpoint_create

    try:
        if seal(petition_id, reason=name, force=True) is not None:
            checkpoint_create(reason=f"petitions.petition:{petition_id}:signature_log:{name}")
    except Exception:
        log.exception("sealing the signature log of petition %s after %s failed", petition_id, name)


# --- reading -----------------------------------------------------------------------------------------
def entry_as_dict(entry: SignatureLogEntry) -> dict:
    return {
        "position": entry.position,
        "event": entry.event,
        "receipt": entry.receipt,
        "village": entry.village_number,
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
    }


def entries_page(petition_id: int, *, after: int = 0, limit: int = 1000) -> tuple[list[dict], bool]:
    rows = list(SignatureLogEntry.objects.filter(petition_id=petition_id, position__gt=after).order_by("position")[: limit + 1])
    return [entry_as_dict(e) for e in rows[:limit]], len(rows) > limit


def clean_receipt(value) -> str:
    text = str(value or "").strip().lower()
    return text if len(text) == RECEIPT_LENGTH and text.isascii() and all(c in "0123456789abcdef" for c in text) else ""


def receipt_lookup(value) -> dict | None:
    """Where a receipt stands: its petition, its log entries (position and event), whether it counts,
    and the first main-chain checkpoint that covers it. None: not in any log (yet)."""
    code = clean_receipt(value)
    if not code:
        return None
    rows = list(SignatureLogEntry.objects.filter(receipt=code).order_by("petition_id", "position"))
    if not rows:
        return None
    petition = Petition.objects.filter(pk=rows[0].petition_id).only("id", "title").first()
    rows = [r for r in rows if r.petition_id == rows[0].petition_id]
    first = rows[0].position
    checkpoint = None
    for entry in AuditEntry.objects.filter(
        record_type="petitions.petition", record_id=str(rows[0].petition_id), name=CHECKPOINT
    ).order_by("id"):
        if (entry.payload or {}).get("entries", 0) >= first:
            checkpoint = {"audit_entry": entry.pk, "entries": entry.payload["entries"], "head": entry.payload["head"],
                          "valid": entry.payload["valid"], "created_at": entry.created_at.isoformat()}  # fmt: skip
            break
    return {
        "receipt": code,
        "petition": {
            "id": rows[0].petition_id,
            "title": petition.title if petition else "",
            "url": f"/petitions/{rows[0].petition_id}/",
        },  # fmt: skip
        "entries": [{"position": r.position, "event": r.event} for r in rows],
        "counted": rows[-1].event in COUNTING,
        "checkpoint": checkpoint,
    }


# --- verification (registered with workflows.selectors.audit_verify) ----------------------------------
def _broken(count: int, petition_id: int, position, problem: str, code: str) -> AuditReport:
    where = {"record_type": "petitions.petition", "record_id": str(petition_id), "signature_log_position": position}
    return AuditReport(False, count, where, problem, code)


def verify(count: int) -> AuditReport | None:
    """Every petition's log: positions 1..n without a gap, each prev_hash the hash before it, each hash
    recomputed; the head row at the end; and every main-chain checkpoint of the log (entries, head,
    valid) still true of it. A row edited or deleted in the database fails one of these."""
    checkpoints: dict[int, list[AuditEntry]] = {}
    for entry in AuditEntry.objects.filter(record_type="petitions.petition", name=CHECKPOINT).order_by("id").iterator():
        if str(entry.record_id).isdigit():
            checkpoints.setdefault(int(entry.record_id), []).append(entry)
    heads = {h.petition_id: h for h in SignatureLogHead.objects.all()}
    logged = set(SignatureLogEntry.objects.values_list("petition_id", flat=True).distinct().order_by())
    for petition_id in sorted(set(checkpoints) | set(heads) | logged):
        wanted = {(c.payload or {}).get("entries") for c in checkpoints.get(petition_id, [])}
        seen: dict[int, tuple[str, int]] = {}
        prev, position, valid = GENESIS_HASH, 0, 0
        for e in SignatureLogEntry.objects.filter(petition_id=petition_id).order_by("position").iterator(chunk_size=2000):
            position += 1
            if e.position != position:
                return _broken(count, petition_id, position, _("a signature log entry is missing"), "signature_log_gap")
            if e.prev_hash != prev:
                return _broken(
                    count, petition_id, position, _("a signature log entry does not link to the one before it"),
                    "signature_log_link_broken",
                )  # fmt: skip
            digest = entry_hash(
                prev, petition_id=petition_id, position=position, event=e.event, receipt=e.receipt, village=e.village_number
            )
            if digest != e.hash:
                return _broken(
                    count, petition_id, position, _("a signature log entry's hash does not match its content"),
                    "signature_log_hash_mismatch",
                )  # fmt: skip
            prev, valid = digest, valid + _weight(e.event)
            if position in wanted:
                seen[position] = (digest, valid)
        head = heads.get(petition_id)
        if head is not None and (head.entries, head.head_hash, head.valid) != (position, prev, valid):
            return _broken(
                count, petition_id, head.entries, _("the signature log ends before its head (entries were removed)"),
                "signature_log_head_mismatch",
            )  # fmt: skip
        for c in checkpoints.get(petition_id, []):
            payload = c.payload or {}
            at = payload.get("entries", 0)
            if at and seen.get(at) != (payload.get("head"), payload.get("valid")):
                code = "signature_log_checkpoint_missing" if at > position else "signature_log_checkpoint_mismatch"
                return _broken(
                    count, petition_id, at, _("the signature log differs from its checkpoint on the audit chain (entry #%(id)s)")
                    % {"id": c.pk}, code,
                )  # fmt: skip
    return None
