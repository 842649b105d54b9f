"""What an organisation's administrators control about signing: block lists of email domains and
addresses, and the signing limits (with floors no administrator can go below).

Blocks. An entry is a domain (it covers its subdomains: "spam.example" blocks
"x@mail.spam.example") or one exact address, folded as signing folds it (accounts.models.
fold_email: "J.o.h.n+x@googlemail.com" is "john@gmail.com"), so a block holds the whole inbox. A
blocked address cannot sign (403 email_blocked, nothing written), cannot confirm a pending
signature made before the block, and paper lines carrying it are refused. Signatures already
confirmed stand: a block never voids what a person did (staff invalidate one by one, with a
reason, petitions.services.signature_invalidate_one).

The audit entries of blocks never hold an address (docs/AUDIT.md: no email enters the chain): an
address is bound by its keyed hash and shown masked; a domain is written as it is.
"""

from __future__ import annotations

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import Organisation, Role, fold_email
from accounts.selectors import has_role
from accounts.thai import keyed_hash
from workflows.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from workflows.models import AuditEntry
from workflows.services import audit_append

from .models import SigningBlock

MAX_NOTE = 500
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


# --- masking (what staff see of a signer in search results) --------------------------------------
def _clusters(text: str) -> list[str]:
    """Characters as a reader sees them: a base letter with its combining marks (Thai vowels above
    and below, tone marks) is one."""
    out: list[str] = []
    for ch in text:
        if out and unicodedata.category(ch) in ("Mn", "Me"):
            out[-1] += ch
        else:
            out.append(ch)
    return out


def _first_and_stars(part: str) -> str:
    clusters = _clusters(part)
    return clusters[0] + "*" * (len(clusters) - 1) if clusters else ""


def mask_email(email: str) -> str:
    """ "somchai@gmail.com" → "s***@g***.com": the first letter of the mailbox and of the domain,
    and the top-level domain."""
    local, at, domain = (email or "").rpartition("@")
    if not at:
        return "***"
    tld = domain.rsplit(".", 1)[-1] if "." in domain else ""
    return f"{local[:1]}***@{domain[:1]}***" + (f".{tld}" if tld else "")


def mask_name(name: str) -> str:
    """ "สมชาย ใจดี" → "ส**** ใจดี": the given name's first letter and one star per letter left;
    the family name as it is (many residents share a given name, few a given and a family name)."""
    words = (name or "").split()
    if not words:
        return ""
    return " ".join([_first_and_stars(words[0]), *words[1:]])


# --- blocks ------------------------------------------------------------------------------------------
def _domain(value: str) -> str | None:
    """The domain in IDNA form ("ไทย" labels become "xn--…"), or None when it is not a domain of at
    least two labels."""
    value = value.strip().strip(".").lower()
    try:
        value = value.encode("idna").decode("ascii") if not value.isascii() else value
    except UnicodeError:
        return None
    labels = value.split(".")
    if len(value) > 253 or len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        return None
    return value


def block_entry(value) -> tuple[str, str]:
    """(kind, value) of what an administrator typed: an address (folded) or a domain ("@x.org" or
    "x.org"). ValidationFailed when it is neither."""
    raw = str(value or "").strip().lower() if isinstance(value, str) else ""
    if raw.startswith("@"):
        raw = raw[1:]
    if "@" in raw:
        email = fold_email(raw)
        try:
            if len(email) > 254:
                raise ValidationError("too long")
            validate_email(email)
        except ValidationError:
            raise ValidationFailed(details={"value": [_("Enter an email address or a domain.")]}) from None
        local, _at, domain = email.rpartition("@")
        domain = _domain(domain)
        if domain is None:
            raise ValidationFailed(details={"value": [_("Enter an email address or a domain.")]})
        return SigningBlock.Kind.EMAIL, f"{local}@{domain}"
    domain = _domain(raw)
    if domain is None:
        raise ValidationFailed(details={"value": [_("Enter an email address or a domain of at least two parts (example.com).")]})
    return SigningBlock.Kind.DOMAIN, domain


def block_keys(email: str) -> list[str]:
    """The block values that would hold a (folded) email: itself, its domain and each parent
    domain of at least two labels."""
    local, at, domain = (email or "").rpartition("@")
    if not at:
        return []
    domain = _domain(domain) or domain
    labels = domain.split(".")
    return [f"{local}@{domain}", *(".".join(labels[i:]) for i in range(len(labels) - 1))]


def email_blocked(organisation_id: int, email: str) -> bool:
    keys = block_keys(fold_email(email or ""))
    return bool(keys) and SigningBlock.objects.filter(organisation_id=organisation_id, value__in=keys).exists()


def blocked_error(details: dict | None = None) -> PermissionDenied:
    return PermissionDenied(
        _(
            "This email address cannot sign this organisation's petitions. If you think this is a mistake, "
            "please contact the municipality's office."
        ),
        code="email_blocked",
        details=details,
    )


def refuse_blocked(organisation_id: int, email: str) -> None:
    """403 email_blocked when `email` is blocked for the organisation."""
    if email and email_blocked(organisation_id, email):
        raise blocked_error()


def may_administer(user, organisation_id: int) -> bool:
    return bool(getattr(user, "is_superuser", False)) or has_role(user, organisation_id, Role.ADMIN)


def organisation_for_admin(slug: str, user) -> Organisation:
    """The organisation `slug` if `user` administers it: 404 when there is none, 403 otherwise."""
    organisation = Organisation.objects.filter(slug=str(slug or "")[:50]).first()
    if organisation is None:
        raise NotFound(_("There is no such organisation."))
    if not may_administer(user, organisation.pk):
        raise PermissionDenied(_("Only an administrator of this organisation can change how its petitions are signed."))
    return organisation


def _audit_content(block: SigningBlock) -> dict:
    """What the audit entry binds of a block: a domain as it is; an address by keyed hash and mask."""
    content = {"block": block.pk, "kind": block.kind, "note": block.note}
    if block.kind == SigningBlock.Kind.DOMAIN:
        content["value"] = block.value
    else:
        content["value_hash"] = keyed_hash(block.value, purpose="signing-block")
        content["masked"] = mask_email(block.value)
    return content


def signing_block_add(*, organisation: Organisation, actor, value, note: str = "") -> SigningBlock:
    """Block an email domain or address from signing the organisation's petitions (audited as
    "signing_block_added" with the entry). 409 block_exists when it is already blocked."""
    if not may_administer(actor, organisation.pk):
        raise PermissionDenied(_("Only an administrator of this organisation can change how its petitions are signed."))
    kind, clean = block_entry(value)
    note = " ".join(str(note or "").split()) if isinstance(note, str) else ""
    if len(note) > MAX_NOTE:
        raise ValidationFailed(details={"note": [_("At most %(n)d characters.") % {"n": MAX_NOTE}]})
    try:
        with transaction.atomic():
            block = SigningBlock.objects.create(
                organisation=organisation, kind=kind, value=clean, note=note,
                created_by=actor if getattr(actor, "pk", None) else None,
            )  # fmt: skip
            audit_append(
                action=AuditEntry.Action.MODERATION, name="signing_block_added", actor=actor, record=block,
                organisation_id=organisation.pk, reason=note, payload=_audit_content(block),
            )  # fmt: skip
    except IntegrityError:
        raise Conflict(_("This is already blocked."), code="block_exists") from None
    return block


def signing_block_remove(*, organisation: Organisation, actor, block_id, reason: str = "") -> None:
    """Lift a block (audited as "signing_block_removed" with the entry as it was)."""
    if not may_administer(actor, organisation.pk):
        raise PermissionDenied(_("Only an administrator of this organisation can change how its petitions are signed."))
    with transaction.atomic():
        block = SigningBlock.objects.select_for_update().filter(organisation=organisation, pk=block_id).first()
        if block is None:
            raise NotFound(_("There is no such block."))
        content = _audit_content(block)
        audit_append(
            action=AuditEntry.Action.MODERATION, name="signing_block_removed", actor=actor,
            record_type=SigningBlock._meta.label_lower, record_id=block.pk, organisation_id=organisation.pk,
            reason=str(reason or "").strip()[:2000], payload=content,
        )  # fmt: skip
        block.delete()


def blocks_of(organisation: Organisation) -> list[SigningBlock]:
    return list(SigningBlock.objects.filter(organisation=organisation).order_by("kind", "value"))


# --- signing limits and their floors -------------------------------------------------------------
# A village meeting (ประชาคม) on the hall's Wi-Fi, or a carrier's NAT, is many honest people behind
# one address. Every limit that refuses a sign request must let such a meeting through: up to
# MEETING_PEOPLE people from one address within one window, at a peak of MEETING_PEAK_PER_SECOND
# a second, MEETING_CROWD of them pressing at the same moment. So a limit of L requests per window
# of W seconds must be at least limit_floor(W) = max(30, min(200, 3 × W)): 30 for a burst of 10 s,
# 180 for a minute, 200 for an hour. docs/OPERATIONS.md#signing-limits.
MEETING_PEOPLE = 200
MEETING_PEAK_PER_SECOND = 3
MEETING_CROWD = 30

# limit -> (its window, the window's bounds in seconds). Each refuses above it (429 rate_limited).
REFUSING_LIMITS = {
    "burst_limit": ("burst_window_seconds", 1, 300),
    "ip_limit": ("ip_window_seconds", 60, 3600),
    "petition_limit": ("petition_window_seconds", 1, 3600),
}
# Flags only (staff review the address), never refuses: any positive number.
REVIEW_LIMIT = "ip_review_limit"
SIGNING_LIMIT_FIELDS = (
    "burst_limit", "burst_window_seconds", "ip_limit", "ip_window_seconds", "ip_review_limit", "petition_limit",
    "petition_window_seconds",
)  # fmt: skip


def limit_floor(window_seconds: int) -> int:
    """The lowest refusing limit for a window of `window_seconds`: a village meeting gets through."""
    return max(MEETING_CROWD, min(MEETING_PEOPLE, MEETING_PEAK_PER_SECOND * int(window_seconds)))


def limit_errors(before: dict, values: dict) -> tuple[dict, bool]:
    """Field errors of changing the signing limits from `before` to `values` (only the fields that
    change are judged, so a value set before the floors existed does not block other changes), and
    whether any of them is a limit below its floor."""
    after = before | values
    errors: dict = {}
    below = False
    for limit, (window, low, high) in REFUSING_LIMITS.items():
        changed = {limit, window} & {name for name in values if values[name] != before.get(name)}
        if not changed:
            continue
        w, n = after[window], after[limit]
        if isinstance(w, bool) or not isinstance(w, int) or not low <= w <= high:
            errors[window] = [_("Enter a whole number of seconds from %(low)d to %(high)d.") % {"low": low, "high": high}]
            continue
        if isinstance(n, bool) or not isinstance(n, int):
            errors[limit] = [_("Enter a whole number.")]
        elif n < limit_floor(w):
            below = True
            errors[limit] = [
                _(
                    "At least %(floor)d per %(seconds)d seconds: a village meeting on one Wi-Fi (up to %(people)d people, "
                    "%(peak)d a second) must be able to sign."
                )
                % {"floor": limit_floor(w), "seconds": w, "people": MEETING_PEOPLE, "peak": MEETING_PEAK_PER_SECOND}
            ]
    if REVIEW_LIMIT in values and values[REVIEW_LIMIT] != before.get(REVIEW_LIMIT):
        n = values[REVIEW_LIMIT]
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            errors[REVIEW_LIMIT] = [_("Enter a whole number of at least %(n)d.") % {"n": 1}]
    return errors, below


def signing_limits(policy) -> dict:
    """What the signing-limits page and API show: each value, and each refusing limit's floor."""
    values = {name: getattr(policy, name) for name in SIGNING_LIMIT_FIELDS}
    floors = {limit: limit_floor(values[window]) for limit, (window, _low, _high) in REFUSING_LIMITS.items()}
    windows = {window: {"min": low, "max": high} for _limit, (window, low, high) in REFUSING_LIMITS.items()}
    return {"limits": values, "floors": floors, "windows": windows}
