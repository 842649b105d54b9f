#!/usr/bin/env python3
"""Verify a Ruamkid install's public record from outside, with the Python standard library only.

    python3 tools/verify_record.py https://ruamkid.example.go.th [--organisation ID] [--checkpoint FILE] [--save-checkpoint FILE]

Downloads the audit chains through the public API (one per organisation, one for the site, and the
legacy chain written before the split; with --organisation only that organisation's chain and the
legacy chain its genesis binds), recomputes every entry's payload digest and hash and the links
within each chain, checks every signed checkpoint (Ed25519, verified here in pure Python) against
every chain head it signs, and compares what each decision, answer and response says now with the
content its newest audit entry bound, and recomputes every petition's signature log against the
checkpoints of it on the chain (count and head hash). With --checkpoint, a checkpoint saved earlier (by
--save-checkpoint, or received by webhook) must still be in the chain: a rewrite, even with every
hash recomputed, or the removal of entries after it, is caught. The algorithm: docs/AUDIT.md.

Prints "OK: N entries" and exits 0; or names the first bad entry and exits 1; exits 2 when the
site cannot be read.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import urllib.error
import urllib.parse
import urllib.request

GENESIS_HASH = "0" * 64
HASHED = (
    "format", "organisation", "record_type", "record_id", "action", "name", "actor_ref", "actor_role",
    "created_at", "from_state", "to_state", "reason", "payload_digest",
)  # fmt: skip


class Broken(Exception):
    def __init__(self, where, code: str, problem: str):
        super().__init__(problem)
        self.where, self.code, self.problem = where, code, problem


# --- Ed25519 verification (RFC 8032, section 5.1.7), small and slow but exact -----------------------

_P = 2**255 - 19
_L = 2**252 + 27742317777372353535851937790883648493
_D = -121665 * pow(121666, _P - 2, _P) % _P
_SQRT_M1 = pow(2, (_P - 1) // 4, _P)


def _add(a, b):
    x1, y1, z1, t1 = a
    x2, y2, z2, t2 = b
    aa = (y1 - x1) * (y2 - x2) % _P
    bb = (y1 + x1) * (y2 + x2) % _P
    cc = t1 * 2 * _D * t2 % _P
    dd = z1 * 2 * z2 % _P
    e, f, g, h = bb - aa, dd - cc, dd + cc, bb + aa
    return (e * f % _P, g * h % _P, f * g % _P, e * h % _P)


def _mul(scalar: int, point):
    result = (0, 1, 1, 0)
    while scalar:
        if scalar & 1:
            result = _add(result, point)
        point = _add(point, point)
        scalar >>= 1
    return result


def _x_from_y(y: int, sign: int) -> int | None:
    if y >= _P:
        return None
    x2 = (y * y - 1) * pow(_D * y * y + 1, _P - 2, _P) % _P
    if x2 == 0:
        return None if sign else 0
    x = pow(x2, (_P + 3) // 8, _P)
    if (x * x - x2) % _P:
        x = x * _SQRT_M1 % _P
    if (x * x - x2) % _P:
        return None
    if (x & 1) != sign:
        x = _P - x
    return x


def _decode(raw: bytes):
    if len(raw) != 32:
        return None
    y = int.from_bytes(raw, "little")
    sign, y = y >> 255, y & ((1 << 255) - 1)
    x = _x_from_y(y, sign)
    return None if x is None else (x, y, 1, x * y % _P)


def _same(a, b) -> bool:
    return (a[0] * b[2] - b[0] * a[2]) % _P == 0 and (a[1] * b[2] - b[1] * a[2]) % _P == 0


_GY = 4 * pow(5, _P - 2, _P) % _P
_G = (_x_from_y(_GY, 0), _GY, 1, _x_from_y(_GY, 0) * _GY % _P)


def ed25519_verify(public_key: bytes, signature: bytes, message: bytes) -> bool:
    if len(signature) != 64:
        return False
    a, r = _decode(public_key), _decode(signature[:32])
    s = int.from_bytes(signature[32:], "little")
    if a is None or r is None or s >= _L:
        return False
    h = int.from_bytes(hashlib.sha512(signature[:32] + public_key + message).digest(), "little") % _L
    return _same(_mul(s, _G), _add(r, _mul(h, a)))


# --- the record ------------------------------------------------------------------------------------


def canonical(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def checkpoint_statement(c: dict) -> bytes:
    body = {k: c[k] for k in ("entry_id", "entry_hash", "entries", "created_at", "reason")}
    version = c.get("version", 1)
    if version >= 2:
        body["heads"] = c["heads"]
    return (f"ruamkid-checkpoint-v{version}\n" + json.dumps(body, sort_keys=True, separators=(",", ":"))).encode()


def chain_of(e: dict) -> str:
    """The chain an entry belongs to: format 3 entries the chain of their organisation (or the site's),
    older ones the legacy chain."""
    if e.get("format", 1) < 3:
        return "legacy"
    return f"organisation:{e['organisation']}" if e.get("organisation") else "site"


def chain_genesis(chain: str, legacy_hash: str, legacy_entries: int) -> str:
    """The prev_hash of a chain's first entry: it binds the chain's name and the legacy chain's head."""
    if chain == "legacy":
        return GENESIS_HASH
    body = {"chain": chain, "legacy_head": legacy_hash, "legacy_entries": legacy_entries}
    return sha256("ruamkid-chain-v1\n" + json.dumps(body, sort_keys=True, separators=(",", ":")))


class Site:
    def __init__(self, base: str, timeout: float = 30.0):
        self.base = base.rstrip("/")
        self.timeout = timeout

    def get(self, path_or_url: str):
        url = path_or_url if path_or_url.startswith("http") else self.base + path_or_url
        headers = {"Accept": "application/json", "User-Agent": "ruamkid-verify/1"}
        request = urllib.request.Request(url, headers=headers)  # noqa: S310 (the auditor's own URL)
        with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
            return json.load(response)

    def pages(self, path: str) -> list[dict]:
        rows, url = [], path
        while url:
            page = self.get(url)
            rows.extend(page["results"])
            url = page.get("next")
        return rows


def verify_chain(entries: list[dict], positions: dict | None = None) -> int:
    """Recompute links, digests and hashes in id order, each entry linked to the one before it in its
    chain (the first to its chain's genesis). Returns how many entries were only checked for their
    links: format 1 (they hashed a user id the API does not publish) and redacted ones (private
    records such as integrity reports, published without their content). `positions`, when given,
    receives each entry's (chain, position in it)."""
    heads: dict[str, tuple[str, int]] = {}  # chain -> (last hash, entries)
    legacy, last_id = 0, 0
    for e in entries:
        if e["id"] <= last_id:
            raise Broken(e, "order", "entries are not in a strictly increasing order")
        last_id = e["id"]
        chain = chain_of(e)
        if chain not in heads:
            legacy_head = heads.get("legacy", (GENESIS_HASH, 0))
            heads[chain] = (chain_genesis(chain, *legacy_head), 0)
        prev, n = heads[chain]
        if e["prev_hash"] != prev:
            raise Broken(e, "link_broken", "prev_hash is not the hash of the entry before it (an entry was changed or removed)")
        if e.get("redacted"):  # a private record's entry (an integrity report): published as its links only
            legacy += 1
        elif e.get("format", 1) >= 2:
            if sha256(canonical(e["payload"] or {})) != e["payload_digest"]:
                raise Broken(e, "payload_mismatch", "the published payload does not match the entry's digest")
            fields = {k: e[k] for k in HASHED}
            fields["record_id"] = str(fields["record_id"])
            if sha256(e["prev_hash"] + canonical(fields)) != e["hash"]:
                raise Broken(e, "hash_mismatch", "the hash does not match the entry's published content")
        else:
            legacy += 1
        heads[chain] = (e["hash"], n + 1)
        if positions is not None:
            positions[e["id"]] = (chain, n + 1)
    return legacy


def signed_heads(checkpoint: dict) -> list[dict]:
    """The chain heads a checkpoint signs: version 1 signed the one chain there was, now the legacy chain."""
    if checkpoint.get("version", 1) < 2:
        return [{"chain": "legacy", **{k: checkpoint[k] for k in ("entry_id", "entry_hash", "entries")}}]
    return checkpoint["heads"]


def verify_checkpoint(
    checkpoint: dict, key_hex: str, by_id: dict[int, dict], positions: dict[int, tuple], origin: str, chains=None
) -> None:
    """The signature, then every chain head it signs (only those of `chains`, when given): the entry
    must still be there with the same hash, in that chain, at the same position."""
    where = {"id": checkpoint["entry_id"], "checkpoint": checkpoint.get("id"), "from": origin}
    try:
        key, sig = bytes.fromhex(key_hex), bytes.fromhex(checkpoint["signature"])
    except (ValueError, TypeError):
        raise Broken(where, "checkpoint_signature", "the checkpoint or key is not hex") from None
    if not ed25519_verify(key, sig, checkpoint_statement(checkpoint)):
        raise Broken(where, "checkpoint_signature", "the checkpoint's signature is not valid for the site's key")
    for head in signed_heads(checkpoint):
        if (chains is not None and head["chain"] not in chains) or not head["entries"]:
            continue
        where = where | {"id": head["entry_id"], "chain": head["chain"]}
        entry = by_id.get(head["entry_id"])
        if entry is None:
            raise Broken(where, "checkpoint_missing", "an entry the checkpoint covers is gone (entries were removed)")
        if entry["hash"] != head["entry_hash"] or positions[entry["id"]] != (head["chain"], head["entries"]):
            raise Broken(where, "checkpoint_mismatch", "the chain differs from the signed checkpoint (entries were rewritten)")


def verify_published(site: Site, entries: list[dict]) -> int:
    latest: dict[tuple[str, str], dict] = {}
    for e in entries:
        if e.get("format", 1) >= 2 and isinstance(e.get("payload"), dict) and "published" in e["payload"]:
            latest[(e["record_type"], str(e["record_id"]))] = e
    for (record_type, record_id), e in latest.items():
        path = f"/api/v1/audit/published/{urllib.parse.quote(record_type)}/{urllib.parse.quote(record_id)}/"
        try:
            now = site.get(path)["published"]
        except urllib.error.HTTPError as exc:
            raise Broken(e, "content_missing", f"the record's published content is gone (HTTP {exc.code})") from None
        if canonical(now) != canonical(e["payload"]["published"]):
            raise Broken(e, "content_mismatch", "the published text of this record differs from what the audit chain recorded")
    return len(latest)


SIGNATURE_LOG_CHECKPOINT = "signature_log_checkpoint"


def log_entry_hash(prev_hash: str, petition_id: int, e: dict) -> str:
    body = {"petition": petition_id, "position": e["position"], "event": e["event"], "receipt": e["receipt"],
            "village": e["village"]}  # fmt: skip
    return sha256(prev_hash + canonical(body))


def verify_signature_logs(site: Site, entries: list[dict]) -> tuple[int, int]:
    """Each petition's signature log, downloaded and recomputed (positions, links, hashes, the count of
    valid signatures), must agree with every checkpoint of it on the chain. Returns (logs, log entries)."""
    checkpoints: dict[str, list[dict]] = {}
    for e in entries:
        if e.get("name") == SIGNATURE_LOG_CHECKPOINT and e.get("record_type") == "petitions.petition" and not e.get("redacted"):
            checkpoints.setdefault(str(e["record_id"]), []).append(e)
    total = 0
    for record_id, marks in checkpoints.items():
        try:
            rows = site.pages(f"/api/v1/petitions/{urllib.parse.quote(record_id)}/signature-log/?page_size=1000")
        except urllib.error.HTTPError as exc:
            raise Broken(marks[0], "signature_log_missing", f"the petition's signature log is gone (HTTP {exc.code})") from None
        at: dict[int, tuple[str, int]] = {}
        prev, valid = GENESIS_HASH, 0
        for n, row in enumerate(rows, start=1):
            where = {"id": marks[0]["id"], "signature_log": record_id, "position": n}
            if row["position"] != n:
                raise Broken(where, "signature_log_gap", f"petition {record_id}'s signature log skips position {n}")
            if row["prev_hash"] != prev:
                raise Broken(where, "signature_log_link_broken", f"entry {n} of petition {record_id}'s signature log "
                             "does not link to the one before it")  # fmt: skip
            if log_entry_hash(prev, int(record_id), row) != row["hash"]:
                raise Broken(where, "signature_log_hash_mismatch", f"entry {n} of petition {record_id}'s signature log "
                             "does not match its hash")  # fmt: skip
            prev, valid = row["hash"], valid + (1 if row["event"] in ("confirmed", "restored") else -1)
            at[n] = (prev, valid)
        total += len(rows)
        for mark in marks:
            payload = mark.get("payload") or {}
            count = payload.get("entries", 0)
            if count and count > len(rows):
                raise Broken(mark, "signature_log_checkpoint_missing", f"petition {record_id}'s signature log is shorter "
                             "than its checkpoint on the chain (entries were removed)")  # fmt: skip
            if count and at[count] != (payload.get("head"), payload.get("valid")):
                raise Broken(mark, "signature_log_checkpoint_mismatch", f"petition {record_id}'s signature log differs "
                             "from its checkpoint on the chain (count or head)")  # fmt: skip
    return len(checkpoints), total


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base_url", help="the site, e.g. https://ruamkid.example.go.th")
    parser.add_argument("--organisation", type=int, help="only this organisation's chain (its id), and the legacy chain")
    parser.add_argument("--checkpoint", help="a checkpoint saved earlier (JSON) that the chain must still contain")
    parser.add_argument("--save-checkpoint", help="save the site's newest signed checkpoint here (JSON)")
    args = parser.parse_args(argv)
    site = Site(args.base_url)
    try:
        key_hex = site.get("/api/v1/audit/key/")["public_key"]
        chains = None
        if args.organisation is not None:
            chains = {"legacy", f"organisation:{args.organisation}"}
            rows = [row for chain in sorted(chains) for row in site.pages(f"/api/v1/audit/?chain={chain}&page_size=200")]
        else:
            rows = site.pages("/api/v1/audit/?page_size=200")
        entries = sorted(rows, key=lambda e: e["id"])
        checkpoints = site.pages("/api/v1/audit/checkpoints/?page_size=200")
        by_id = {e["id"]: e for e in entries}
        positions: dict[int, tuple] = {}
        legacy = verify_chain(entries, positions)
        for checkpoint in checkpoints:
            verify_checkpoint(checkpoint, key_hex, by_id, positions, "site", chains)
        if args.checkpoint:
            with open(args.checkpoint, encoding="utf-8") as handle:
                held = json.load(handle)
            held_key = held.get("public_key", key_hex)
            if held_key != key_hex:
                raise Broken(
                    {"checkpoint": args.checkpoint},
                    "key_changed",
                    "the site's signing key is not the one the saved checkpoint names",
                )
            verify_checkpoint(held["checkpoint"], held_key, by_id, positions, args.checkpoint, chains)
        records = verify_published(site, entries)
        logs, log_entries = verify_signature_logs(site, entries)
    except Broken as broken:
        where = broken.where if isinstance(broken.where, dict) else {}
        print(f"BROKEN at entry #{where.get('id')} ({broken.code}): {broken.problem}", file=sys.stderr)
        return 1
    except (urllib.error.URLError, OSError, ValueError, KeyError) as exc:
        print(f"cannot read the record from {args.base_url}: {exc}", file=sys.stderr)
        return 2
    if args.save_checkpoint and checkpoints:
        newest = max(checkpoints, key=lambda c: c["id"])
        with open(args.save_checkpoint, "w", encoding="utf-8") as handle:
            json.dump({"site": site.base, "public_key": key_hex, "checkpoint": newest}, handle, indent=2)
    note = f" ({legacy} older or redacted entries checked for links only)" if legacy else ""
    in_chains = len({chain for chain, _n in positions.values()})
    chains_said = f"{in_chains} chain{'' if in_chains == 1 else 's'}"
    print(
        f"OK: {len(entries)} entries in {chains_said}, {len(checkpoints)} signed checkpoints, {records} published records, "
        f"{logs} signature logs ({log_entries} log entries){note}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
