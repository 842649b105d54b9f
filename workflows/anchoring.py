"""Anchoring the audit chains outside the database: signed checkpoints of every chain's head.

A database superuser can rewrite an entry and recompute every hash after it; the chain alone
cannot show that. A checkpoint is the head of every chain (entry id, hash, entry count per chain:
the legacy chain, the site's, one per organisation) signed in one statement with the site's
Ed25519 key, which lives outside the database (AUDIT_SIGNING_KEY or a key file, never a table).
Checkpoints are written at least daily (beat) and on every published decision, listed publicly
(/api/v1/audit/checkpoints/), and POSTed to webhook subscribers. A rewrite then contradicts a
checkpoint that someone outside already holds. docs/AUDIT.md describes how to check one.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import logging
import os
from functools import lru_cache
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import AuditChainHead, AuditCheckpoint

log = logging.getLogger(__name__)


class SigningKeyError(RuntimeError):
    pass


def _seed_from_text(text: str) -> bytes:
    text = text.strip()
    try:
        raw = bytes.fromhex(text) if len(text) == 64 else base64.b64decode(text, validate=True)
    except ValueError:
        raw = b""
    if len(raw) != 32:
        raise SigningKeyError("AUDIT_SIGNING_KEY must be 32 bytes as 64 hex digits or base64 (docs/AUDIT.md)")
    return raw


@lru_cache(maxsize=1)
def signing_key() -> Ed25519PrivateKey:
    """The site's key: AUDIT_SIGNING_KEY (hex or base64 seed), else the key file (created, mode 0600,
    on first use: keep it with the backups of var/, not in the database)."""
    configured = getattr(settings, "AUDIT_SIGNING_KEY", "")
    if configured:
        return Ed25519PrivateKey.from_private_bytes(_seed_from_text(configured))
    path = Path(settings.AUDIT_SIGNING_KEY_FILE)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        seed = os.urandom(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(seed.hex() + "\n")
        log.warning("created a new audit signing key in %s", path)
    return Ed25519PrivateKey.from_private_bytes(_seed_from_text(path.read_text()))


def public_key_hex() -> str:
    return signing_key().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


def signature_valid(checkpoint: AuditCheckpoint, key_hex: str | None = None) -> bool:
    try:
        key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(key_hex or checkpoint.key_id))
        key.verify(bytes.fromhex(checkpoint.signature), checkpoint.statement())
    except (InvalidSignature, ValueError):
        return False
    return True


def _heads() -> list[AuditChainHead]:
    """Every chain's head with entries, as committed (plus what the caller's own transaction wrote).
    One statement, so one snapshot; no lock, so signing never waits for a move, nor a move for it
    (each row holds its chain's hash, last entry and length together)."""
    return list(AuditChainHead.objects.filter(last_entry_id__isnull=False).order_by("chain"))


def checkpoint_create(*, reason: str) -> AuditCheckpoint | None:
    """Sign every chain's head as it is now (version 2: one statement over all heads). Inside the
    caller's transaction when there is one. None when every chain is empty."""
    with transaction.atomic():
        heads = _heads()
        if not heads:
            return None
        newest = max(heads, key=lambda head: head.last_entry_id)
        checkpoint = AuditCheckpoint(
            version=AuditCheckpoint.VERSION,
            entry_id=newest.last_entry_id,
            entry_hash=newest.last_hash,
            entries=sum(head.entries for head in heads),
            heads=[head.as_signed() for head in heads],
            created_at=timezone.now(),
            reason=reason[:100],
            key_id=public_key_hex(),
        )
        checkpoint.signature = signing_key().sign(checkpoint.statement()).hex()
        checkpoint.save(force_insert=True)
        transaction.on_commit(lambda: _push_later(checkpoint.pk))
    return checkpoint


_before: list = []


def before_checkpoint(hook) -> None:
    """A domain app's work to do just before beat signs the chain (a petition app seals its
    signature logs into the chain, so the hourly checkpoint covers them). The engine knows no app."""
    if hook not in _before:
        _before.append(hook)


def checkpoint_daily(*, now=None) -> AuditCheckpoint | None:
    """Beat's checkpoint (hourly): when the chain grew since the last one, or a day has passed.
    The before_checkpoint hooks run first (a failing one is logged; the head is signed anyway)."""
    now = now or timezone.now()
    for hook in _before:
        try:
            hook()
        except Exception:
            log.exception("a before-checkpoint hook failed: %s", getattr(hook, "__name__", hook))
    last = AuditCheckpoint.objects.order_by("-id").first()
    heads = _heads()
    if not heads:
        return None
    signed = [head.as_signed() for head in heads]
    unchanged = last is not None and last.version >= 2 and last.heads == signed
    if unchanged and (now - last.created_at).total_seconds() < 86400:
        return None
    return checkpoint_create(reason="scheduled")


def checkpoint_as_dict(checkpoint: AuditCheckpoint) -> dict:
    return {
        "id": checkpoint.pk,
        "version": checkpoint.version,
        "entry_id": checkpoint.entry_id,
        "entry_hash": checkpoint.entry_hash,
        "entries": checkpoint.entries,
        "created_at": checkpoint.created_at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "reason": checkpoint.reason,
        "key_id": checkpoint.key_id,
        "signature": checkpoint.signature,
        **({"heads": checkpoint.heads} if checkpoint.version >= 2 else {}),
    }


def _push_later(checkpoint_id: int) -> None:
    from .tasks import push_checkpoint

    try:
        push_checkpoint.delay(checkpoint_id)
    except Exception:  # the broker being down must not undo a move; beat's next checkpoint is pushed too
        log.exception("could not queue the push of checkpoint %s", checkpoint_id)


def webhook_signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def checkpoint_push(checkpoint_id: int, *, timeout: float = 10.0) -> dict[str, int]:
    """POST one checkpoint (JSON) to every active subscriber. Returns {"sent": n, "failed": m}."""
    import urllib.error
    import urllib.request

    from .models import AuditWebhook

    checkpoint = AuditCheckpoint.objects.filter(pk=checkpoint_id).first()
    if checkpoint is None:
        return {"sent": 0, "failed": 0}
    body = json.dumps(
        {"site": settings.SITE_URL, "public_key": checkpoint.key_id, "checkpoint": checkpoint_as_dict(checkpoint)}
    ).encode()
    counts = {"sent": 0, "failed": 0}
    for hook in AuditWebhook.objects.filter(active=True).order_by("id"):
        headers = {"Content-Type": "application/json", "User-Agent": "Ruamkid-audit/1"}
        if hook.secret:
            headers["X-Ruamkid-Signature"] = webhook_signature(hook.secret, body)
        request = urllib.request.Request(hook.url, data=body, headers=headers, method="POST")  # noqa: S310 (admin-set URL)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                status = f"{response.status}"
            counts["sent"] += 1
        except (urllib.error.URLError, OSError, ValueError) as exc:
            status = f"failed: {exc}"[:200]
            counts["failed"] += 1
        AuditWebhook.objects.filter(pk=hook.pk).update(last_status=status, last_sent_at=timezone.now())
    return counts
