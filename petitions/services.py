"""Writes of the petitions app.

Petition state changes go through workflows.services.transition. Signatures have their own lean
services because they are the per-signer hot path:

    signature_sign     one INSERT (+ the outbox row for the confirmation mail) in one transaction
    signature_confirm  one conditional UPDATE + one upsert of three tally rows of a random shard
                       (+ one small SUM while a threshold is still ahead)

Threshold crossings are detected after the confirming commit (thresholds_check) and again by the
periodic check (tasks.petitions_check), so a crossing missed by two concurrent confirmations is
caught by the next one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import random
import secrets
import time
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.db.models import Case, Count, F, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import VerificationLevel, fold_email
from accounts.thai import format_datetime, keyed_hash, national_id_is_valid, normalise_national_id
from accounts.verification import level_required
from notifications.services import outbox_write, subscription_follow
from workflows.errors import (
    ApplicationError,
    Conflict,
    NotFound,
    PermissionDenied,
    RateLimited,
    TransitionNotAllowed,
    ValidationFailed,
)
from workflows.models import AuditEntry
from workflows.parsers import whole_number
from workflows.ratelimit import hit
from workflows.services import audit_append, moderation_guard, policy_fields, policy_update, transition

from . import controls, rules, siglog, signing
from .models import (
    WITHDRAWABLE_STATES,
    AddressFlag,
    Kind,
    Petition,
    PetitionPolicy,
    ResponseState,
    Signature,
    SignatureState,
    Sponsor,
    State,
)
from .selectors import counts_key, petition_total

log = logging.getLogger(__name__)

SHARDS = getattr(settings, "PETITION_TALLY_SHARDS", 8)
RESEND_AFTER = dt.timedelta(minutes=2)  # a repeat sign request re-sends the mail at most this often
MAX_NAME = 200
MAX_TITLE = 200
MAX_BODY = 5000


# --- petitions ----------------------------------------------------------------------------------
def petition_create(*, organisation, author, kind: str, title: str, body: str, background: str = "") -> Petition:
    if not rules.can_create(author, organisation):
        if getattr(author, "is_authenticated", False) and not author.email_confirmed_at:
            raise PermissionDenied(
                _("Confirm your email address first: open the link we mailed you, or ask for a new one."), code="unconfirmed"
            )
        raise PermissionDenied(_("Only residents with a confirmed account can start a petition."))
    title, body, background = (title or "").strip(), (body or "").strip(), (background or "").strip()
    errors = _text_errors({"title": title, "body": body, "background": background})
    if kind not in Kind.values:
        errors["kind"] = [_("Choose a kind of petition.")]
    if errors:
        raise ValidationFailed(details=errors)
    policy = PetitionPolicy.for_organisation(organisation.pk)
    ordinance = kind == Kind.ORDINANCE
    with transaction.atomic():
        petition = Petition.objects.create(
            organisation=organisation,
            author=author,
            kind=kind,
            title=title,
            body=body,
            background=background,
            sponsor_token=secrets.token_urlsafe(24),
            sponsors_required=policy.sponsors_required,
            response_threshold=None if ordinance else policy.response_threshold,
            council_threshold=policy.ordinance_threshold if ordinance else policy.council_threshold,
        )
        audit_append(
            action=AuditEntry.Action.TRANSITION, name="create", actor=author, record=petition, to_state=State.DRAFT,
            payload={"kind": kind, "thresholds": _thresholds(petition)},
        )  # fmt: skip
        subscription_follow(user=author, record=petition, auto=True)
    return petition


def _text_errors(text: dict) -> dict:
    """The field errors of a petition's text (title and body required; the lengths)."""
    errors: dict = {}
    for name, limit, required in (("title", MAX_TITLE, True), ("body", MAX_BODY, True), ("background", MAX_BODY, False)):
        value = text.get(name, "")
        if required and not value:
            errors[name] = [_("This field is required.")]
        elif len(value) > limit:
            errors[name] = [_("At most %(n)d characters.") % {"n": limit}]
    return errors


TEXT_FIELDS = ("title", "body", "background")
MAX_EDIT_REASON = 500


def content_sha256(petition: Petition) -> str:
    """The SHA-256 of a petition's text (title, body, background), as compact sorted JSON in UTF-8:
    what an edit's audit entry binds, so anyone holding a copy of a text can check it was this one."""
    text = {name: getattr(petition, name) for name in TEXT_FIELDS}
    return hashlib.sha256(json.dumps(text, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _clean_edit(values) -> dict:
    if not isinstance(values, dict):
        raise ValidationFailed(_("Send a JSON object."), code="malformed_request")
    errors = {name: [_("This field cannot be edited.")] for name in sorted(set(values) - set(TEXT_FIELDS))}
    text = {}
    for name in TEXT_FIELDS:
        if name in values:
            if not isinstance(values[name], str):
                errors[name] = [_("Send text.")]
            else:
                text[name] = values[name].strip()
    if not text and not errors:
        errors["title"] = [_("Send at least one of: %(fields)s") % {"fields": ", ".join(TEXT_FIELDS)}]
    errors |= {k: v for k, v in _text_errors({"title": "-", "body": "-", **text}).items() if k not in errors}
    if errors:
        raise ValidationFailed(details=errors)
    return text


def petition_edit(*, petition: Petition, actor, values: dict, reason: str = "", expected_version: int | None = None) -> Petition:
    """Change a petition's text (title, body, background). Two people may:

    - its author, until it is sponsored (Petition.author_may_edit: a draft, or collecting sponsors
      with none yet); after that 409 petition_not_editable. Audited as "edit".
    - a moderator of its organisation, in any state, with a reason (a correction: personal data, a
      libellous phrase), never on a petition they started themselves (403
      own_contribution_moderation). The page shows "edited by the municipality" with the date and
      the reason; the author is told (petition.corrected). Audited as "municipal_edit".

    The audit entry names the fields changed and binds the text's SHA-256 before and after
    (content_sha256), never the old text itself (it may be the libel that was removed)."""
    text = _clean_edit(values)
    reason = (reason or "").strip() if isinstance(reason, str) else ""
    with transaction.atomic():
        locked = Petition.objects.select_for_update().get(pk=petition.pk)
        if expected_version is not None and locked.version != expected_version:
            raise Conflict(details={"expected_version": expected_version, "version": locked.version})
        municipal = not rules.is_author(locked, actor)
        if not municipal:
            if not locked.author_may_edit:
                raise TransitionNotAllowed(
                    _("Your petition can no longer be edited: sponsors have backed it as it is."),
                    code="petition_not_editable", details={"state": locked.state},
                )  # fmt: skip
        else:
            if not rules.is_moderator(locked, actor):
                raise PermissionDenied(_("Only the author or a moderator of this organisation can edit a petition."))
            moderation_guard(locked, actor)
            if not reason:
                raise ValidationFailed(
                    _("Say why the municipality corrects the text."), details={"reason": [_("This field is required.")]}
                )
            if len(reason) > MAX_EDIT_REASON:
                raise ValidationFailed(details={"reason": [_("At most %(n)d characters.") % {"n": MAX_EDIT_REASON}]})
        changed = [name for name in TEXT_FIELDS if name in text and text[name] != getattr(locked, name)]
        if not changed:
            return locked
        before = content_sha256(locked)
        for name in changed:
            setattr(locked, name, text[name])
        fields = [*changed, "version", "updated_at"]
        if municipal:
            locked.municipal_edit_at, locked.municipal_edit_reason = timezone.now(), reason
            fields += ["municipal_edit_at", "municipal_edit_reason"]
        locked.version += 1
        locked.updated_at = timezone.now()
        locked.save(update_fields=fields)
        audit_append(
            action=AuditEntry.Action.MODERATION if municipal else AuditEntry.Action.TRANSITION,
            name="municipal_edit" if municipal else "edit", actor=actor, record=locked, reason=reason,
            payload={"fields": changed, "previous_sha256": before, "content_sha256": content_sha256(locked)},
        )  # fmt: skip
        if municipal:
            from .machine import event

            outbox_write(**event(locked, "petition.corrected", {"users": [locked.author_id]}, reason=reason, fields=changed))
    targets_forget(locked.pk)
    return locked


THRESHOLD_FIELDS = ("sponsors_required", "response_threshold", "council_threshold")
# A petition's thresholds may change until signing ends; after that they have done their work.
THRESHOLDS_CHANGEABLE = frozenset({State.DRAFT, State.COLLECTING_SPONSORS, State.AWAITING_MODERATION, State.OPEN})


def _thresholds(petition: Petition) -> dict:
    return {name: getattr(petition, name) for name in THRESHOLD_FIELDS}


def _threshold_errors(petition: Petition, values: dict) -> dict:
    errors: dict = {}
    for name in sorted(set(values) - set(THRESHOLD_FIELDS)):
        errors[name] = [_("Unknown setting.")]
    for name, value in values.items():
        if name not in THRESHOLD_FIELDS or (value is None and name == "response_threshold"):
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < (0 if name == "sponsors_required" else 1):
            errors[name] = [_("Enter a whole number of at least %(n)d.") % {"n": 0 if name == "sponsors_required" else 1}]
    if petition.is_ordinance and values.get("response_threshold") is not None:
        errors["response_threshold"] = [_("A local ordinance initiative has no response threshold.")]
    return errors


def petition_thresholds_set(*, petition: Petition, actor, values: dict, reason: str) -> Petition:
    """An administrator changes one petition's thresholds (they were copied from the policy when it
    was created), with a public reason, until signing ends. Audited as "thresholds_changed" with
    the values before and after; a threshold lowered to the count already reached makes its move
    (thresholds_check), and enough sponsors move a petition collecting them on to moderation."""
    reason = (reason or "").strip()
    if not (getattr(actor, "is_superuser", False) or rules.is_admin(petition, actor)):
        raise PermissionDenied(_("Only an administrator of this organisation can change a petition's thresholds."))
    errors = _threshold_errors(petition, values)
    if not reason:
        errors["reason"] = [_("This field is required.")]
    if errors:
        raise ValidationFailed(details=errors)
    with transaction.atomic():
        locked = Petition.objects.select_for_update().get(pk=petition.pk)
        if locked.state not in THRESHOLDS_CHANGEABLE:
            raise TransitionNotAllowed(
                _("Signing has ended; the thresholds of this petition can no longer change."), code="thresholds_final"
            )
        before = _thresholds(locked)
        changed = [name for name in THRESHOLD_FIELDS if name in values and values[name] != before[name]]
        if not changed:
            return locked
        for name in changed:
            setattr(locked, name, values[name])
        locked.version += 1
        locked.updated_at = timezone.now()
        locked.save(update_fields=[*changed, "version", "updated_at"])
        audit_append(
            action=AuditEntry.Action.MODERATION, name="thresholds_changed", actor=actor, record=locked, reason=reason,
            payload={"before": {n: before[n] for n in changed}, "after": {n: values[n] for n in changed}},
        )  # fmt: skip
        if locked.state == State.COLLECTING_SPONSORS and locked.sponsor_count() >= locked.sponsors_required:
            locked = transition(locked, "sponsors_complete", actor=None)
        if locked.state == State.OPEN:  # a raised threshold may now be above the count reached
            count = petition_total(locked.pk)
            if thresholds_after_fall(locked.pk, count_before=count, because="thresholds_changed"):
                locked = Petition.objects.get(pk=locked.pk)
    targets_forget(locked.pk)
    cache.delete(counts_key(locked.pk))
    if locked.state == State.OPEN:
        thresholds_check(locked.pk)
        locked = Petition.objects.get(pk=locked.pk)
    return locked


POLICY_FIELDS = policy_fields(PetitionPolicy)


def petition_policy_update(*, actor, organisation_id: int, values: dict, reason: str = "") -> PetitionPolicy:
    """Change numbers of an organisation's petition rules (audited with before and after, see
    workflows.services.policy_update). Petitions already created keep the thresholds they were
    given; petition_thresholds_set changes one of them. The signing limits may not go below their
    floors (controls.limit_floor: a village meeting must get through), whichever page changes them:
    400 limit_below_floor."""
    current = PetitionPolicy.for_organisation(organisation_id)
    before = {name: getattr(current, name) for name in controls.SIGNING_LIMIT_FIELDS}
    errors, below = controls.limit_errors(before, {k: v for k, v in values.items() if k in before})
    if errors:
        raise ValidationFailed(
            _("A signing limit is below its floor.") if below else None,
            code="limit_below_floor" if below else None,
            details=errors,
        )
    policy = policy_update(PetitionPolicy, organisation_id=organisation_id, actor=actor, values=values, reason=reason)
    targets_forget()  # the signing limits are read from the policy and kept a few seconds per process
    return policy


def signing_limits_set(*, organisation, actor, values: dict, reason: str = "") -> PetitionPolicy:
    """An administrator changes the organisation's signing limits (controls.SIGNING_LIMIT_FIELDS),
    never below their floors; audited as "policy_changed" with the values before and after.
    Signing reads them within TARGET_TTL seconds."""
    if not controls.may_administer(actor, organisation.pk):
        raise PermissionDenied(_("Only an administrator of this organisation can change how its petitions are signed."))
    unknown = sorted(set(values) - set(controls.SIGNING_LIMIT_FIELDS))
    if unknown:
        raise ValidationFailed(details={name: [_("Unknown setting.")] for name in unknown})
    reason = str(reason or "").strip()[:2000] if isinstance(reason, str) else ""
    return petition_policy_update(actor=actor, organisation_id=organisation.pk, values=dict(values), reason=reason)


def petition_request_sponsors(*, petition: Petition, actor) -> Petition:
    """Draft → collecting sponsors; with a policy of zero sponsors straight on to moderation."""
    with transaction.atomic():
        petition = transition(petition, "request_sponsors", actor=actor)
        if petition.sponsors_required == 0:
            petition = transition(petition, "sponsors_complete", actor=None)
    return petition


def sponsor_add(*, petition_id: int, user, token: str) -> tuple[Sponsor, bool]:
    """A resident backs the petition via its sponsor link. At the policy's number of sponsors the
    petition moves on to moderation. Returns (sponsor, created)."""
    with transaction.atomic():
        petition = Petition.objects.select_for_update().filter(pk=petition_id).first()
        if petition is None or not _same_secret(petition.sponsor_token, token) or not rules.sponsor_link_live(petition):
            raise NotFound(_("This sponsor link is not valid."))
        if not getattr(user, "is_authenticated", False):
            raise PermissionDenied(_("Sign in to sponsor this petition."), code="not_authenticated")
        if rules.is_author(petition, user):
            raise PermissionDenied(_("You started this petition; ask other residents to sponsor it."), code="own_petition")
        if not rules.can_sponsor(petition, user):
            raise PermissionDenied(_("Only residents with a confirmed account can sponsor a petition."))
        existing = Sponsor.objects.filter(petition=petition, user=user).first()
        if existing is not None:
            return existing, False
        if petition.state != State.COLLECTING_SPONSORS:
            raise TransitionNotAllowed(_("This petition is not collecting sponsors."), code="not_collecting_sponsors")
        sponsor = Sponsor.objects.create(petition=petition, user=user)
        audit_append(action=AuditEntry.Action.MODERATION, name="sponsor", actor=user, record=petition)
        subscription_follow(user=user, record=petition, auto=True)
        if petition.sponsor_count() >= petition.sponsors_required:
            transition(petition, "sponsors_complete", actor=None)
    return sponsor, True


def thresholds_check(petition_id: int) -> list[str]:
    """Make the threshold moves that are due (each at most once: the moves' conditions say so).
    Safe to call any time and concurrently; returns the moves made."""
    made = []
    petition = Petition.objects.filter(pk=petition_id).first()
    if petition is None or petition.state not in (State.OPEN, State.CLOSED):  # closed: late confirmations
        return made
    total = petition_total(petition_id)
    wanted = []
    if (
        petition.response_state == ResponseState.NOT_REQUIRED
        and petition.response_threshold is not None
        and total >= petition.response_threshold
    ):
        wanted.append("require_response")
    if total >= petition.council_threshold and petition.council_threshold_reached_at is None:
        if petition.state == State.CLOSED:
            wanted.append("reach_threshold_after_close")
        else:
            wanted.append("close" if petition.is_ordinance else "reach_council_threshold")
    for name in wanted:
        try:
            petition = transition(petition, name, actor=None)
            made.append(name)
        except (TransitionNotAllowed, Conflict):  # another confirmation made it first
            petition = Petition.objects.get(pk=petition_id)
    if made:
        cache.delete(counts_key(petition_id))
    return made


# The moves made when the confirmed count falls below a threshold it had reached.
FALL_MOVES = ("response_threshold_lost", "reopen_collecting", "council_threshold_lost")


def thresholds_after_fall(petition_id: int, *, count_before: int, because: str) -> list[str]:
    """Re-evaluate the thresholds after the confirmed count fell (signatures invalidated or
    withdrawn, a threshold raised), in the caller's transaction: below the response threshold the
    petition no longer awaits a response; below the council threshold a general petition can no
    longer be submitted, and an ordinance initiative whose window still runs goes back to
    collecting. Each move is audited with the counts before and after; returns the moves made."""
    petition = Petition.objects.filter(pk=petition_id).first()
    if petition is None:
        return []
    after = petition_total(petition_id)
    payload = {"count_before": count_before, "count_after": after, "because": because}
    made = []
    for name in FALL_MOVES:
        try:
            petition = transition(petition, name, actor=None, payload=payload | {"threshold": _threshold_of(petition, name)})
            made.append(name)
        except TransitionNotAllowed:
            continue
    return made


def _threshold_of(petition: Petition, move: str) -> int | None:
    return petition.response_threshold if move == "response_threshold_lost" else petition.council_threshold


# --- signatures: tokens and tallies -------------------------------------------------------------
CONFIRM_LINK_HEAD = "/petitions/signatures/confirm/"


def _token_mac(salt: str) -> str:
    return keyed_hash(salt, purpose="signature-confirm")[:40]


def signature_token(signature: Signature) -> str:
    """`<id>.<salt>.<mac>`, mac = HMAC(server key, salt). The same link in every re-sent mail; the
    database alone (without the server key) cannot make one; and a token is checked without a
    database read, so a made-up one costs nothing but one HMAC. The id and salt together name the
    row (the salt is random per signature), so a token cannot be moved to another signature."""
    return f"{signature.pk}.{signature.salt}.{_token_mac(signature.salt)}"


def confirm_path(signature: Signature) -> str:
    return f"{CONFIRM_LINK_HEAD}{signature_token(signature)}/"


def _same_secret(expected: str, given) -> bool:
    """Constant-time comparison of a secret with what a request carried. Tokens are ASCII; anything
    else (Thai digits, which str.isdigit() accepts, lone surrogates) simply does not match, where
    hmac.compare_digest would raise on it."""
    given = str(given or "")
    return given.isascii() and hmac.compare_digest(expected, given)


def _token_parts(token) -> tuple[int, str]:
    """(id, salt) of a well-formed token whose MAC is right; NotFound otherwise."""
    token = str(token or "").strip()
    pk, salt, mac = (token.split(".") + ["", ""])[:3]
    if not (token.isascii() and pk.isdigit() and len(pk) <= 18 and salt and len(salt) <= 32) or not _same_secret(
        _token_mac(salt), mac
    ):
        raise NotFound(_("This confirmation link is not valid."), code="invalid_token")
    return int(pk), salt


def _signature_for_token(token: str) -> Signature:
    pk, salt = _token_parts(token)
    signature = Signature.objects.select_related("petition").filter(pk=pk, salt=salt).first()
    if signature is None:
        raise NotFound(_("This confirmation link is not valid."), code="invalid_token")
    return signature


_tally_add = signing.tally_add


def _hour_bucket(when: dt.datetime) -> str:
    return "h" + when.astimezone(dt.UTC).strftime("%Y%m%d%H")


def _deltas_for(rows, sign: int) -> list[tuple[str, int]]:
    """Tally deltas for confirmed signatures given as (village_number, confirmed_at) rows."""
    buckets: dict[str, int] = {}
    for village, confirmed_at in rows:
        for bucket in ("t", f"v{village}", _hour_bucket(confirmed_at)):
            buckets[bucket] = buckets.get(bucket, 0) + sign
    return list(buckets.items())


# --- signatures: rate limits --------------------------------------------------------------------
_redis_client = None


def _redis():
    """The cache's Redis, used directly for counters: one pipelined round trip for all limits
    (Django's cache API would make three per key). None when the cache is not Redis."""
    global _redis_client
    if _redis_client is None:
        config = settings.CACHES["default"]
        if not config["BACKEND"].endswith("RedisCache"):
            return None
        import redis

        _redis_client = redis.Redis.from_url(config["LOCATION"], socket_connect_timeout=2, socket_timeout=2)
    return _redis_client


_redis_down_until = 0.0


def _hits(windows: list[tuple[str, int]]) -> list[int]:
    """Fixed-window counters: this request's number in each (key, window seconds).

    If Redis is unreachable the limits fail open (every count is 0) for a few seconds: a
    resident's signature matters more than the rate limit, which protects against bursts that
    staff can also invalidate afterwards. The process does not retry Redis on every request
    meanwhile, so a dead Redis costs one connect timeout per 5 seconds, not one per signature."""
    global _incr_script, _redis_down_until
    now = time.time()
    keys = [(f"petition-rl:{key}:{int(now // window)}", window) for key, window in windows]
    client = _redis()
    if client is None:
        return [hit(key, window) for key, window in keys]
    if time.monotonic() < _redis_down_until:
        return [0] * len(keys)
    try:
        if _incr_script is None:
            _incr_script = client.register_script(_INCR_LUA)
        prefix = settings.CACHES["default"].get("KEY_PREFIX", "")
        counts = _incr_script(keys=[f"{prefix}:{key}" for key, _w in keys], args=[window + 1 for _k, window in keys])
    except Exception:  # redis.ConnectionError, TimeoutError…: fail open, see above
        _redis_down_until = time.monotonic() + 5
        log.warning("petition rate limits unavailable (Redis unreachable); signing continues unlimited", exc_info=True)
        return [0] * len(keys)
    return [int(n) for n in counts]


# INCR each key; a key's first hit sets its expiry. One command for all the limits of a request.
_INCR_LUA = """
local out = {}
for i, key in ipairs(KEYS) do
  local n = redis.call('INCR', key)
  if n == 1 then redis.call('EXPIRE', key, ARGV[i]) end
  out[i] = n
end
return out
"""
_incr_script = None


def _rate_limit(target: SignTarget, ip_hash: str) -> bool:
    """Refuse clear abuse (429); return whether the address is busy enough for staff to review.

    Many honest people share one address (a village meeting on one Wi-Fi, a mobile carrier's NAT),
    so the per-address refusals are sized far above a meeting hall (policy ip_limit, 300 an hour by
    default, and burst_limit, 60 in 10 seconds; neither can be set below controls.limit_floor);
    below them a busy address is flagged for review (AddressFlag), never voided."""
    windows = [(f"p:{target.pk}", target.petition_window)]
    if ip_hash:
        windows.append((f"ip:{target.pk}:{ip_hash}", target.ip_window))
        windows.append((f"b:{target.pk}:{ip_hash}", target.burst_window))
    counts = _hits(windows)
    if counts[0] > target.petition_limit:
        raise RateLimited(
            _("This petition is receiving very many signatures; please try again in a minute."),
            details={"retry_after_seconds": target.petition_window, "scope": "petition"},
        )
    if not ip_hash:
        return False
    if counts[2] > target.burst_limit:
        raise RateLimited(
            _("Too many signatures from your network within a few seconds; please wait a moment and try again."),
            details={"retry_after_seconds": target.burst_window, "scope": "burst"},
        )
    if counts[1] > target.ip_limit:
        raise RateLimited(
            _("Too many signatures from your network in a short time; please try again later."),
            details={"retry_after_seconds": target.ip_window, "scope": "ip"},
        )
    return counts[1] >= target.review_limit


def _address_busy(target: SignTarget, ip_hash: str, *, now: dt.datetime) -> None:
    """A new signature from a busy address: count it into the address's review flag, opening the
    flag the first time (audited) and again once as many signatures as the review limit came after
    a review. One UPDATE for an existing flag; only flagged addresses pay it."""
    reopen = ~Q(state=AddressFlag.State.OPEN) & Q(since_review__gte=target.review_limit - 1)
    updated = AddressFlag.objects.filter(petition_id=target.pk, ip_hash=ip_hash).update(
        last_seen=now,
        since_review=F("since_review") + 1,
        state=Case(When(reopen, then=Value(AddressFlag.State.OPEN)), default=F("state")),
        flagged_at=Case(When(reopen, then=Value(now)), default=F("flagged_at")),
    )
    if updated:
        return
    try:
        with transaction.atomic():
            flag = AddressFlag.objects.create(
                petition_id=target.pk, ip_hash=ip_hash, flagged_at=now, last_seen=now, since_review=target.review_limit
            )
            audit_append(
                action=AuditEntry.Action.SYSTEM, name="address_flagged", actor=None, record_type="petitions.petition",
                record_id=target.pk, organisation_id=target.organisation_id, reason="busy address",
                payload={"flag": flag.pk, "ip_hash": ip_hash, "review_limit": target.review_limit,
                         "window_seconds": target.ip_window},
            )  # fmt: skip
            outbox_write(  # on the moderators' desk
                event="petition.address_flagged", audience={"roles": ["moderator", "admin"]},
                data={"title": target.title, "url": f"/petitions/moderation/addresses/?petition={target.pk}",
                      "petition_id": target.pk, "count": target.review_limit},
                organisation_id=target.organisation_id, record_type="petitions.petition", record_id=target.pk,
            )  # fmt: skip
    except IntegrityError:  # a concurrent signature from the same address opened it first
        AddressFlag.objects.filter(petition_id=target.pk, ip_hash=ip_hash).update(
            last_seen=now, since_review=F("since_review") + 1
        )


def client_ip_hash(ip: str) -> str:
    return keyed_hash(ip, purpose="ip") if ip else ""


# --- signatures: sign, confirm ------------------------------------------------------------------
# The per-signer hot path. On PostgreSQL each request is one statement (petitions.signing); the
# portable path below (a few hand-written statements in a transaction, also on SQLite) runs when
# that statement did not do the plain thing, and explains why. Hand-written SQL instead of the ORM:
# here the ORM's query building costs more CPU than the database work. Everything else uses the ORM.
_POLICY_DEFAULTS = {name: PetitionPolicy._meta.get_field(name).default for name in (
    "ip_limit", "ip_window_seconds", "petition_limit", "petition_window_seconds", "ip_review_limit", "signing_level",
    "ordinance_signing_level", "burst_limit", "burst_window_seconds")}  # fmt: skip
TARGET_TTL = 5.0  # seconds a process reuses what signing needs to know about an open petition


@dataclass
class SignTarget:
    """What signing needs to know about a petition, read in two small statements."""

    pk: int
    organisation_id: int
    kind: str
    title: str
    visible: bool
    accepting: bool
    villages: frozenset[int]
    ip_limit: int
    ip_window: int
    petition_limit: int
    petition_window: int
    review_limit: int
    burst_limit: int
    burst_window: int
    required_level: str = VerificationLevel.EMAIL  # accounts/verification.py: what the policy asks of a signer

    @property
    def is_ordinance(self) -> bool:
        return self.kind == Kind.ORDINANCE

    def get_absolute_url(self) -> str:
        return f"/petitions/{self.pk}/"


def _sign_target(petition_id: int) -> SignTarget | None:
    ops = connection.ops
    sql = (
        "SELECT p.id, p.organisation_id, p.kind, p.title, p.state, "
        "CASE WHEN p.state = %s AND (p.closes_at IS NULL OR p.closes_at > %s) THEN 1 ELSE 0 END, "
        "pol.ip_limit, pol.ip_window_seconds, pol.petition_limit, pol.petition_window_seconds, pol.ip_review_limit, "
        "pol.signing_level, pol.ordinance_signing_level, pol.burst_limit, pol.burst_window_seconds "
        "FROM petitions_petition p LEFT JOIN petitions_petitionpolicy pol ON pol.organisation_id = p.organisation_id "
        "WHERE p.id = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [State.OPEN, ops.adapt_datetimefield_value(timezone.now()), petition_id])
        row = cursor.fetchone()
        if row is None:
            return None
        cursor.execute("SELECT number FROM accounts_village WHERE organisation_id = %s", [row[1]])
        villages = frozenset(number for (number,) in cursor.fetchall())
    d = _POLICY_DEFAULTS
    return SignTarget(
        pk=row[0], organisation_id=row[1], kind=row[2], title=row[3], visible=row[4] != State.HIDDEN,
        accepting=bool(row[5]), villages=villages,
        ip_limit=d["ip_limit"] if row[6] is None else row[6],
        ip_window=d["ip_window_seconds"] if row[7] is None else row[7],
        petition_limit=d["petition_limit"] if row[8] is None else row[8],
        petition_window=d["petition_window_seconds"] if row[9] is None else row[9],
        review_limit=d["ip_review_limit"] if row[10] is None else row[10],
        burst_limit=d["burst_limit"] if row[13] is None else row[13],
        burst_window=d["burst_window_seconds"] if row[14] is None else row[14],
        required_level=(row[12] or d["ordinance_signing_level"]) if row[2] == Kind.ORDINANCE else (row[11] or d["signing_level"]),
    )  # fmt: skip


_targets: dict[int, tuple[float, SignTarget]] = {}


def _sign_target_cached(petition_id: int) -> SignTarget | None:
    """An open petition's SignTarget, reused for TARGET_TTL seconds by this process: the signing
    statement checks the state itself, so only the petition's kind, title, villages and limits can
    be that old (a policy change reaches every process within TARGET_TTL). Not-open petitions are
    read afresh each time. `targets_forget` empties it (saves of petitions, policies, villages)."""
    now = time.monotonic()
    hit = _targets.get(petition_id)
    if hit is not None and hit[0] > now:
        return hit[1]
    target = _sign_target(petition_id)
    if target is not None and target.accepting:
        if len(_targets) > 1000:  # a process sees few open petitions; never let the map grow unbounded
            _targets.clear()
        _targets[petition_id] = (now + TARGET_TTL, target)
    else:
        _targets.pop(petition_id, None)
    return target


def targets_forget(petition_id: int | None = None) -> None:
    if petition_id is None:
        _targets.clear()
    else:
        _targets.pop(petition_id, None)


def _check_open(target: SignTarget | None) -> SignTarget:
    if target is None or not target.visible:
        raise NotFound(_("There is no such petition."))
    if not target.accepting:
        raise TransitionNotAllowed(_("This petition is not open for signatures."), code="signing_closed")
    return target


def _yes(value, default: bool = True) -> bool:
    """A yes/no from a form or JSON ("on", "true", false, None: the default)."""
    if value is None or value == "":
        return default
    return value is True or str(value).lower() in {"true", "on", "1", "yes"}


def _village_number(value) -> int | None:
    return whole_number(value)  # 3.5, 3.0 and 1e0 are not a village number


def _clean_signer(target: SignTarget, *, name, email, village: int | None, consent, national_id) -> dict:
    errors: dict = {}
    name = " ".join(str(name or "").split()) if isinstance(name, str | int) or name is None else ""
    if not name:
        errors["name"] = [_("Enter your name.")]
    elif len(name) > MAX_NAME:
        errors["name"] = [_("At most %(n)d characters.") % {"n": MAX_NAME}]
    email = fold_email(email if isinstance(email, str) else "")  # one inbox, one signer
    try:
        if len(email) > 254:
            raise ValidationError("too long")
        validate_email(email)
    except ValidationError:
        errors["email"] = [_("Enter a valid email address.")]
    if village is None or village not in target.villages:
        errors["village"] = [_("Choose your village (หมู่ที่).")]
    if not _yes(consent, default=False):
        errors["consent"] = [_("You must agree to the use of your data to sign.")]
    nid_hash, nid_last4 = None, ""
    if target.is_ordinance:
        digits = normalise_national_id(national_id if isinstance(national_id, str) else "")
        if not digits:
            errors["national_id"] = [_("A local ordinance initiative needs your 13-digit national ID number.")]
        elif not national_id_is_valid(digits):
            errors["national_id"] = [_("This is not a valid 13-digit national ID number (check digit).")]
        else:
            nid_hash, nid_last4 = keyed_hash(digits, purpose="national-id"), digits[-4:]
    if errors:
        raise ValidationFailed(details=errors)
    return {"name": name, "email": email, "village_number": village, "national_id_hash": nid_hash, "national_id_last4": nid_last4}


CONFIRM_REQUESTED = "signature.confirm_requested"
RECEIPT_PAGE = "/petitions/receipts/"


def _confirm_requested_mail(target: SignTarget, signature: Signature) -> tuple[dict, dict]:
    """The data and audience of the confirmation mail, without its link (which needs the id)."""
    data = {
        "title": target.title,
        "petition_url": target.get_absolute_url(),
        "name": signature.name,
        "kind": target.kind,
        "petition_id": target.pk,
        "receipt": siglog.receipt(signature.salt),  # the same one the confirmation page shows
        "receipt_url": RECEIPT_PAGE,
    }
    audience = {"emails": [{"email": signature.email, "name": signature.name, "language": signature.language}]}
    return data, audience


def _confirm_requested_event(target: SignTarget, signature: Signature) -> None:
    data, audience = _confirm_requested_mail(target, signature)
    link = confirm_path(signature)  # the mail's one link: the page with the confirm button
    outbox_write(
        event=CONFIRM_REQUESTED, data=data | {"url": link, "confirm_url": link}, audience=audience,
        organisation_id=target.organisation_id, record_type="petitions.petition", record_id=target.pk,
    )  # fmt: skip


def signature_sign(
    *,
    petition_id: int,
    name,
    email,
    village_number,
    consent,
    national_id="",
    ip: str = "",
    language: str = "th",
    notify_outcome=True,
) -> tuple[Signature, str]:
    """Start a signature: a pending row and the confirmation mail. Returns (signature, outcome)
    with outcome "created", "resent" (a pending one existed; its mail is sent again at most every
    two minutes) or "pending" (it existed and was mailed moments ago). A confirmed signature by
    the same email or national ID raises Conflict(code="already_signed")."""
    village = _village_number(village_number)
    fast = signing.available()
    target = _check_open(_sign_target_cached(petition_id) if fast else _sign_target(petition_id))
    level_required(level=VerificationLevel.EMAIL, required=target.required_level)  # the mail proves the email, no more
    clean = _clean_signer(target, name=name, email=email, village=village, consent=consent, national_id=national_id)
    if not fast:  # the fast path's statement checks the blocks itself (and says why below)
        controls.refuse_blocked(target.organisation_id, clean["email"])
    ip_hash = client_ip_hash(ip)
    busy = _rate_limit(target, ip_hash)
    now = timezone.now()
    signature = Signature(
        petition_id=target.pk, state=SignatureState.PENDING, ip_hash=ip_hash, language=(language or "th")[:2],
        salt=secrets.token_hex(8), consented_at=now, created_at=now, last_sent_at=now, notify_outcome=_yes(notify_outcome),
        **clean,
    )  # fmt: skip
    if fast:
        data, audience = _confirm_requested_mail(target, signature)
        if signing.sign(
            signature=signature, target=target, mac=_token_mac(signature.salt), link_head=CONFIRM_LINK_HEAD,
            event=CONFIRM_REQUESTED, data=data, audience=audience, blocks=controls.block_keys(clean["email"]),
        ):  # fmt: skip
            if busy:
                _address_busy(target, ip_hash, now=now)
            return signature, "created"
        target = _check_open(_sign_target(petition_id))  # it wrote nothing: find out why, below
        controls.refuse_blocked(target.organisation_id, clean["email"])
    if (
        clean["national_id_hash"]
        and Signature.objects.filter(
            petition_id=target.pk, national_id_hash=clean["national_id_hash"], state=SignatureState.CONFIRMED
        ).exists()
    ):
        raise Conflict(_("This national ID number has already signed this petition."), code="already_signed")
    existing = _repeat_of(target, clean["email"], clean["name"])
    if existing is None:
        _household_check(target.pk, clean["email"], clean["village_number"])
    try:
        with transaction.atomic():
            signing.insert_portable(signature, now=now)
            _confirm_requested_event(target, signature)
            if busy:
                _address_busy(target, ip_hash, now=now)
        return signature, "created"
    except IntegrityError:
        pass
    return _repeat_sign(target, clean["email"], clean["name"])


def _active(petition_id: int, email: str):
    return Signature.objects.filter(
        petition_id=petition_id, email=email, state__in=[SignatureState.PENDING, SignatureState.CONFIRMED]
    )


def _repeat_of(target: SignTarget, email: str, name: str) -> Signature | None:
    return _active(target.pk, email).filter(name__iexact=name).order_by("-id").first()


def _household_check(petition_id: int, email: str, village: int) -> None:
    """A household sharing one address signs from one village, with distinct names, at most
    settings.PETITION_HOUSEHOLD_SIGNATURES times per petition; Conflict otherwise."""
    villages = list(_active(petition_id, email).values_list("village_number", flat=True))
    if any(v != village for v in villages):
        raise Conflict(
            _("This email address has signed this petition for another village; one household signs from one village."),
            code="household_other_village",
        )
    limit = settings.PETITION_HOUSEHOLD_SIGNATURES
    if len(villages) >= limit:
        raise Conflict(
            _("This email address has already signed this petition %(n)d times, the most for one household.") % {"n": limit},
            code="household_full",
            details={"limit": limit},
        )


def _repeat_sign(target: SignTarget, email: str, name: str) -> tuple[Signature, str]:
    existing = _repeat_of(target, email, name)
    if existing is None:  # it was withdrawn or invalidated in between: let the person try again
        raise Conflict(_("Please try again."), code="retry")
    if existing.state == SignatureState.CONFIRMED:
        raise Conflict(_("This email address has already signed this petition."), code="already_signed")
    now = timezone.now()
    with transaction.atomic():
        # Conditional update: of concurrent repeats at most one re-sends the mail.
        resent = Signature.objects.filter(pk=existing.pk, last_sent_at__lte=now - RESEND_AFTER).update(last_sent_at=now)
        if resent:
            _confirm_requested_event(target, existing)
    return existing, "resent" if resent else "pending"


def signature_confirm(*, token: str) -> tuple[Signature, bool]:
    """Confirm from the mailed link (a POST: the page's button or the API). Returns
    (signature, already) where already=True means it had been confirmed before (idempotent)."""
    pk, salt = _token_parts(token)
    now = timezone.now()
    confirm = signing.confirm if signing.available() else signing.confirm_portable
    try:
        found = confirm(pk=pk, salt=salt, now=now, shard=random.randrange(SHARDS), hour_bucket=_hour_bucket(now))
    except IntegrityError:
        raise Conflict(_("This national ID number has already signed this petition."), code="already_signed") from None
    if found is None:
        raise NotFound(_("This confirmation link is not valid."), code="invalid_token")
    if found.blocked and not found.confirmed and found.state == SignatureState.PENDING:
        raise controls.blocked_error()  # blocked since it was made: it stays pending, uncounted
    signature = Signature(pk=pk, salt=salt, state=found.state, village_number=found.village_number, petition_id=found.petition_id)
    if found.confirmed:
        signature.state, signature.confirmed_at = SignatureState.CONFIRMED, now
        if found.may_cross and found.recounted(petition_total(found.petition_id)).may_cross:
            thresholds_check(found.petition_id)
        return signature, False
    if found.state == SignatureState.PENDING and found.accepting:  # it changed under us: a concurrent click?
        signature.state = Signature.objects.filter(pk=pk).values_list("state", flat=True).first()
        if signature.state == SignatureState.CONFIRMED:
            return signature, True
        raise Conflict(code="signature_not_pending", details={"state": signature.state})
    if found.state == SignatureState.CONFIRMED:
        return signature, True
    if found.state != SignatureState.PENDING:
        raise Conflict(
            _("This signature can no longer be confirmed (%(state)s).") % {"state": signature.get_state_display()},
            code="signature_not_pending",
            details={"state": signature.state},
        )
    _refuse_late_confirmation(found.petition_id, now)


def _refuse_late_confirmation(petition_id: int, now: dt.datetime):
    """The petition is no longer open and the grace for confirming has passed (or the signature was
    made after the close): say until when it could have been confirmed."""
    petition = Petition.objects.filter(pk=petition_id).first()
    closed = petition and (petition.closed_at or petition.closes_at)
    if closed and petition.state in (State.OPEN, State.CLOSED) and closed <= now:
        until = closed + dt.timedelta(hours=settings.PETITION_CONFIRM_GRACE_HOURS)
        raise TransitionNotAllowed(
            _("Signing closed on %(closed)s; a signature could be confirmed until %(until)s. This one was not confirmed in time.")
            % {"closed": format_datetime(closed), "until": format_datetime(until)},
            code="confirmation_closed",
            details={"closed_at": closed.isoformat(), "confirm_until": until.isoformat()},
        )
    raise TransitionNotAllowed(_("This petition is not open for signatures."), code="signing_closed")


def _petition_shared(petition_id: int) -> Petition | None:
    """The petition, read under a shared lock on PostgreSQL: many signers hold it at once, and a move
    that ends signing (FOR UPDATE) waits for them, so no signature lands after it closed."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM petitions_petition WHERE id = %s FOR SHARE", [petition_id])
    return Petition.objects.filter(pk=petition_id).first()


def signature_sign_member(
    *, petition_id: int, user, village_number, consent, national_id="", ip: str = "", language: str = "th", notify_outcome=True
) -> Signature:
    """A signed-in resident whose email is confirmed signs in one step: their account's address is
    already proven, so the signature is confirmed at once (no mail round trip) and linked to them
    ("you signed this"). A pending signature they started by email is confirmed instead of a new
    one. The same checks as signing by email (open, village, consent, national ID, rate limits);
    a second signature raises Conflict(code="already_signed")."""
    if not getattr(user, "is_authenticated", False) or not user.email_confirmed_at:
        raise PermissionDenied(_("Confirm your email address first, or sign with the form's email."), code="unconfirmed")
    target = _check_open(_sign_target(petition_id))
    level_required(level=user.verification_level, required=target.required_level)
    clean = _clean_signer(
        target, name=user.full_name or user.email.split("@")[0], email=user.email, village=_village_number(village_number),
        consent=consent, national_id=national_id,
    )  # fmt: skip
    if user.national_id_hash and clean["national_id_hash"] and clean["national_id_hash"] != user.national_id_hash:
        raise ValidationFailed(details={"national_id": [_("This is not the national ID number your account was verified with.")]})
    controls.refuse_blocked(target.organisation_id, clean["email"])
    ip_hash = client_ip_hash(ip)
    busy = _rate_limit(target, ip_hash)
    now = timezone.now()
    try:
        with transaction.atomic():
            petition = _petition_shared(target.pk)
            if petition is None or not petition.accepting_signatures:
                raise TransitionNotAllowed(_("This petition is not open for signatures."), code="signing_closed")
            active = _active(target.pk, clean["email"]).select_for_update()
            signature = active.filter(name__iexact=clean["name"]).first()
            if signature is not None and signature.state == SignatureState.CONFIRMED:
                raise Conflict(_("You have already signed this petition."), code="already_signed")
            # A pending signature they started by email under another name is theirs to confirm.
            signature = signature or active.filter(state=SignatureState.PENDING, user=None).first()
            fields = {"confirmed_at": now, "user": user, "notify_outcome": _yes(notify_outcome), **clean}
            if signature is None:  # signed and confirmed at once: the declared move from the initial state
                _household_check(target.pk, clean["email"], clean["village_number"])
                signature = Signature(
                    petition_id=target.pk, ip_hash=ip_hash, language=(language or "th")[:2], salt=secrets.token_hex(8),
                    consented_at=now, created_at=now, last_sent_at=now, **fields,
                )  # fmt: skip
                signature.confirm()
                signature.save(force_insert=True)
            else:
                signing.check("confirm", signature.state)
                for name, value in fields.items():
                    setattr(signature, name, value)
                signature.confirm()
                signature.save(update_fields=["state", *fields])
            _tally_add(
                target.pk, random.randrange(SHARDS), [("t", 1), (_hour_bucket(now), 1), (f"v{signature.village_number}", 1)]
            )
            subscription_follow(user=user, record=petition, auto=True)
            if busy:
                _address_busy(target, ip_hash, now=now)
    except IntegrityError:  # its national ID has confirmed another signature of the petition
        raise Conflict(_("This national ID number has already signed this petition."), code="already_signed") from None
    cache.delete(counts_key(target.pk))
    thresholds_check(target.pk)
    return signature


def _crosses(petition: Petition, total: int) -> bool:
    if petition.council_threshold_reached_at is None and total >= petition.council_threshold:
        return True
    return (
        petition.response_state == ResponseState.NOT_REQUIRED
        and petition.response_threshold is not None
        and total >= petition.response_threshold
    )


def signature_withdraw(*, token: str) -> Signature:
    """An ordinance signer takes their name back before the initiative is submitted."""
    signature = _signature_for_token(token)
    petition = signature.petition
    if not petition.is_ordinance:
        raise TransitionNotAllowed(
            _("Only signatures of a local ordinance initiative can be withdrawn."), code="not_withdrawable"
        )
    if petition.state not in WITHDRAWABLE_STATES:
        raise TransitionNotAllowed(
            _("The initiative has been submitted; signatures can no longer be withdrawn."), code="not_withdrawable"
        )
    with transaction.atomic():
        locked = Signature.objects.select_for_update().get(pk=signature.pk)
        signing.check("withdraw", locked.state)
        was_confirmed = locked.state == SignatureState.CONFIRMED
        before = petition_total(petition.pk)
        signing.end("withdraw", [locked.pk], now=timezone.now())
        if was_confirmed:
            _tally_add(petition.pk, random.randrange(SHARDS), _deltas_for([(locked.village_number, locked.confirmed_at)], -1))
        after = before - (1 if was_confirmed else 0)
        # The signer acts without an account ("public"); nothing in the entry says who they are.
        audit_append(
            action=AuditEntry.Action.TRANSITION, name="signature_withdrawn", actor=AnonymousUser(), record=petition,
            from_state=str(before), to_state=str(after), payload={"counted": was_confirmed, "count_before": before,
                                                                   "count_after": after},
        )  # fmt: skip
        if was_confirmed:
            thresholds_after_fall(petition.pk, count_before=before, because="signature_withdrawn")
    cache.delete(counts_key(petition.pk))
    locked.state = SignatureState.WITHDRAWN
    return locked


def signatures_invalidate(
    *,
    petition: Petition,
    actor,
    reason: str,
    email_domain: str = "",
    ip_hash: str = "",
    created_from: dt.datetime | None = None,
    created_to: dt.datetime | None = None,
    confirm: bool | None = None,
) -> dict:
    """Staff invalidate pending and confirmed signatures matching a filter, as one audited
    moderation act; the tallies follow in the same transaction. `confirm` False (a person's
    request that did not tick the confirmation, workflows.confirm) is refused, nothing changed."""
    if not rules.can_review_signatures(petition, actor):
        raise PermissionDenied()
    reason = (reason or "").strip()
    email_domain = (email_domain or "").strip().lower().lstrip("@")
    ip_hash = (ip_hash or "").strip().lower()
    errors: dict = {}
    if not reason:
        errors["reason"] = [_("This field is required.")]
    if not (email_domain or ip_hash or created_from or created_to):
        errors["non_field_errors"] = [_("Give at least one filter: email domain, IP hash or time window.")]
    if created_from and created_to and created_from > created_to:
        errors["created_to"] = [_("The end of the window is before its start.")]
    if errors:
        raise ValidationFailed(details=errors)
    if confirm is False:
        from workflows.confirm import require

        require({}, action="signatures_invalidate")
    filters = {
        "email_domain": email_domain,
        "ip_hash": ip_hash,
        "created_from": created_from.isoformat() if created_from else "",
        "created_to": created_to.isoformat() if created_to else "",
    }
    with transaction.atomic():
        result = _invalidate(petition=petition, actor=actor, reason=reason, filters=filters)
    cache.delete(counts_key(petition.pk))
    return result


def _invalidate(*, petition: Petition, actor, reason: str, filters: dict, flag: AddressFlag | None = None) -> dict:
    """Invalidate the active signatures matching `filters` (signatures_invalidate's keys) in the
    caller's transaction, lower the tallies and append one audit entry. The entry's from/to show
    the petition's confirmed count before and after (the public audit page reads "5 → 2"); its
    payload (kept as a digest) has the filter and the numbers. The caller drops the cached counts
    after its commit."""
    qs = Signature.objects.filter(petition=petition, state__in=signing.MOVES["invalidate"][0])
    if filters["email_domain"]:
        qs = qs.filter(email__endswith="@" + filters["email_domain"])
    if filters["ip_hash"]:
        qs = qs.filter(ip_hash=filters["ip_hash"])
    if filters["created_from"]:
        qs = qs.filter(created_at__gte=dt.datetime.fromisoformat(filters["created_from"]))
    if filters["created_to"]:
        qs = qs.filter(created_at__lt=dt.datetime.fromisoformat(filters["created_to"]))
    if filters.get("signature"):  # one signature staff found (signature_invalidate_one)
        qs = qs.filter(pk=filters["signature"])
    rows = list(qs.select_for_update().order_by("id").values_list("id", "state", "village_number", "confirmed_at"))
    ids = [r[0] for r in rows]
    confirmed = [(r[2], r[3]) for r in rows if r[1] == SignatureState.CONFIRMED]
    before = petition_total(petition.pk)
    if ids:
        signing.end("invalidate", ids, now=timezone.now())
    if confirmed:
        _tally_add(petition.pk, 0, _deltas_for(confirmed, -1))
    payload = {"filter": filters, "invalidated": len(ids), "confirmed": len(confirmed), "count_before": before,
               "count_after": before - len(confirmed)}  # fmt: skip
    if flag is not None:
        payload["flag"] = flag.pk
    audit_append(
        action=AuditEntry.Action.MODERATION, name="signatures_invalidated", actor=actor, record=petition, reason=reason,
        from_state=str(before), to_state=str(payload["count_after"]), payload=payload,
    )  # fmt: skip
    if confirmed:
        thresholds_after_fall(petition.pk, count_before=before, because="signatures_invalidated")
    return {"invalidated": len(ids), "confirmed": len(confirmed), "count_before": before, "count_after": payload["count_after"]}


# --- one signature: staff found it (selectors.signatures_find) and act on it --------------------------
SIGNATURE_INVALIDATED = "signature.invalidated"
SIGNATURE_RESTORED = "signature.restored"
# Restoring changes a count only while it can still matter: before the petition is submitted.
RESTORABLE_STATES = WITHDRAWABLE_STATES


def _one_signature(petition: Petition, signature_id, actor, reason: str) -> tuple[str, Signature]:
    """(reason, the signature locked) for a staff act on one signature of `petition`; the caller
    holds the transaction. 403 to anyone who may not review its signatures, 404 for a signature
    of another petition."""
    if not rules.can_review_signatures(petition, actor):
        raise PermissionDenied()
    reason = str(reason or "").strip() if isinstance(reason, str) else ""
    if not reason:
        raise ValidationFailed(details={"reason": [_("This field is required.")]})
    if len(reason) > 4000:
        raise ValidationFailed(details={"reason": [_("At most %(n)d characters.") % {"n": 4000}]})
    pk = whole_number(signature_id)
    signature = Signature.objects.select_for_update().filter(petition=petition, pk=pk).first() if pk and pk < 2**62 else None
    if signature is None:
        raise NotFound(_("There is no such signature."))
    return reason, signature


def _tell_signer(petition: Petition, signature: Signature, event: str, reason: str) -> None:
    """Mail the signer what staff did to their signature (a paper signature has no address)."""
    from .paper import is_placeholder_email

    if is_placeholder_email(signature.email):
        return
    outbox_write(
        event=event,
        audience={"emails": [{"email": signature.email, "name": signature.name, "language": signature.language}]},
        data={"title": petition.title, "url": petition.get_absolute_url(), "petition_id": petition.pk, "reason": reason,
              "receipt": siglog.receipt(signature.salt), "state": signature.state},
        organisation_id=petition.organisation_id, record_type="petitions.petition", record_id=petition.pk,
    )  # fmt: skip


def signature_invalidate_one(*, petition: Petition, signature_id, actor, reason: str) -> dict:
    """Staff invalidate one pending or confirmed signature with a reason: the same audited act as
    the bulk one (_invalidate: one "signatures_invalidated" entry whose filter names the signature
    and its receipt, the counts before and after, the threshold moves of a falling count through
    thresholds_after_fall). The signer is told by mail. 409 signature_not_active otherwise."""
    with transaction.atomic():
        petition = Petition.objects.get(pk=petition.pk)
        reason, signature = _one_signature(petition, signature_id, actor, reason)
        signing.check("invalidate", signature.state)
        filters = {"email_domain": "", "ip_hash": "", "created_from": "", "created_to": "", "signature": signature.pk,
                   "receipt": siglog.receipt(signature.salt)}  # fmt: skip
        result = _invalidate(petition=petition, actor=actor, reason=reason, filters=filters)
        signature.state = SignatureState.INVALIDATED
        _tell_signer(petition, signature, SIGNATURE_INVALIDATED, reason)
    cache.delete(counts_key(petition.pk))
    return result | {"signature": signature.pk, "state": signature.state}


def signature_restore_one(*, petition: Petition, signature_id, actor, reason: str) -> dict:
    """Staff undo the invalidation of one signature with a reason, before the petition is submitted:
    back to confirmed if it had been confirmed (it counts again, in the tallies of its village and
    hour; a threshold it reaches makes its move through thresholds_check), else back to pending (its
    mailed link works again). Audited as "signature_restored" with the counts before and after; the
    signer is told by mail. Refused when the signer has signed again since (409 signed_again), the
    household is full, or the address is blocked now (403 email_blocked)."""
    with transaction.atomic():
        petition = Petition.objects.select_for_update().get(pk=petition.pk)
        reason, signature = _one_signature(petition, signature_id, actor, reason)
        move = "restore" if signature.confirmed_at else "restore_pending"
        signing.check(move, signature.state)
        if petition.state not in RESTORABLE_STATES:
            raise TransitionNotAllowed(
                _("The petition has been submitted; its signatures can no longer be restored."), code="signatures_final"
            )
        controls.refuse_blocked(petition.organisation_id, signature.email)
        if _active(petition.pk, signature.email).filter(name__iexact=signature.name).exists():
            raise Conflict(_("This person has signed again since; the new signature stands."), code="signed_again")
        _household_check(petition.pk, signature.email, signature.village_number)
        before = petition_total(petition.pk)
        getattr(signature, move)()
        signature.ended_at = None
        try:
            with transaction.atomic():
                signature.save(update_fields=["state", "ended_at"])
        except IntegrityError:  # its national ID has confirmed another signature since
            raise Conflict(_("This person has signed again since; the new signature stands."), code="signed_again") from None
        counted = signature.state == SignatureState.CONFIRMED
        if counted:
            _tally_add(petition.pk, 0, _deltas_for([(signature.village_number, signature.confirmed_at)], 1))
        after = before + (1 if counted else 0)
        audit_append(
            action=AuditEntry.Action.MODERATION, name="signature_restored", actor=actor, record=petition, reason=reason,
            from_state=str(before), to_state=str(after),
            payload={"signature": signature.pk, "receipt": siglog.receipt(signature.salt), "state": signature.state,
                     "counted": counted, "count_before": before, "count_after": after},
        )  # fmt: skip
        _tell_signer(petition, signature, SIGNATURE_RESTORED, reason)
    cache.delete(counts_key(petition.pk))
    if counted:
        thresholds_check(petition.pk)
    return {"signature": signature.pk, "state": signature.state, "counted": counted, "count_before": before,
            "count_after": after}  # fmt: skip


# --- busy addresses: the review queue -----------------------------------------------------------
def _flag_for_review(flag_id: int, actor) -> AddressFlag:
    """The flag, locked, if `actor` may review its petition's signatures; NotFound otherwise (to
    anyone else a flag does not exist, as the queue shows it to nobody else)."""
    flag = AddressFlag.objects.select_for_update().filter(pk=flag_id).first()
    petition = Petition.objects.filter(pk=flag.petition_id).first() if flag else None
    if petition is None or not rules.can_review_signatures(petition, actor):
        raise NotFound(_("There is no such flagged address."))
    flag.petition = petition
    return flag


def _reviewed(flag: AddressFlag, actor, state: str) -> None:
    flag.state, flag.reviewed_at, flag.since_review = state, timezone.now(), 0
    flag.reviewed_by = actor if getattr(actor, "pk", None) else None
    flag.save(update_fields=["state", "reviewed_at", "reviewed_by", "since_review"])


def address_flag_invalidate(*, flag_id: int, actor, reason: str) -> dict:
    """One click: invalidate every pending and confirmed signature from the flagged address on its
    petition (the counts go down), audited with the counts before and after and the reason."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(details={"reason": [_("This field is required.")]})
    with transaction.atomic():
        flag = _flag_for_review(flag_id, actor)
        filters = {"email_domain": "", "ip_hash": flag.ip_hash, "created_from": "", "created_to": ""}
        result = _invalidate(petition=flag.petition, actor=actor, reason=reason, filters=filters, flag=flag)
        _reviewed(flag, actor, AddressFlag.State.INVALIDATED)
    cache.delete(counts_key(flag.petition_id))
    return result


def address_flag_clear(*, flag_id: int, actor, reason: str = "") -> AddressFlag:
    """One click: staff looked at the pattern and the signatures stand (a meeting, a shared
    network). Audited; the flag opens again if the address gets busy once more."""
    with transaction.atomic():
        flag = _flag_for_review(flag_id, actor)
        if flag.state != AddressFlag.State.OPEN:
            raise Conflict(_("This address has already been reviewed."), code="already_reviewed", details={"state": flag.state})
        active = Signature.objects.filter(
            petition_id=flag.petition_id, ip_hash=flag.ip_hash, state__in=[SignatureState.PENDING, SignatureState.CONFIRMED]
        )
        confirmed = active.filter(state=SignatureState.CONFIRMED).count()
        count = str(petition_total(flag.petition_id))  # before and after: the signatures stand
        audit_append(
            action=AuditEntry.Action.MODERATION, name="address_flag_cleared", actor=actor, record=flag.petition,
            reason=(reason or "").strip(), from_state=count, to_state=count,
            payload={"flag": flag.pk, "ip_hash": flag.ip_hash, "signatures": active.count(), "confirmed": confirmed},
        )  # fmt: skip
        _reviewed(flag, actor, AddressFlag.State.CLEARED)
    return flag


def petition_act(
    *, petition: Petition, name: str, actor, reason: str = "", payload: dict | None = None, confirm: bool | None = None
) -> Petition:
    """A person's move from a page or the API (the same engine path as the generic endpoint);
    `confirm` is their answer for a move they must confirm (workflows.confirm: reject, hide)."""
    if name in {"request_sponsors"}:
        return petition_request_sponsors(petition=petition, actor=actor)
    return transition(petition, name, actor=actor, reason=reason, payload=payload or {}, confirm=confirm)


__all__ = [
    "ApplicationError",
    "petition_act",
    "petition_create",
    "petition_edit",
    "petition_policy_update",
    "petition_request_sponsors",
    "petition_thresholds_set",
    "signature_confirm",
    "signature_sign",
    "signature_sign_member",
    "signature_withdraw",
    "signatures_invalidate",
    "signature_invalidate_one",
    "signature_restore_one",
    "signing_limits_set",
    "address_flag_clear",
    "address_flag_invalidate",
    "sponsor_add",
    "thresholds_check",
]


# --- the periodic check -------------------------------------------------------------------------
def petitions_check(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Run by Celery beat (tasks.petitions_check) and `manage.py petitions_check`.

    1. "Deadline near" reminders to staff, each once (Reminder rows): moderation (policy days),
       the ordinance report (15 days) and the council's decision (60 days). The "overdue" events
       come from the deadline moves themselves (moderation_overdue, report_overdue, council_overdue).
    2. Threshold reconciliation: a crossing missed by two concurrent confirmations is made here.
    Idempotent: a second run sends nothing new.
    """
    from .machine import COUNCIL_STAFF, STAFF, event
    from .models import Reminder
    from .selectors import totals_for

    now = now or timezone.now()
    result = {"reminders": 0, "thresholds": 0}
    policies: dict[int, PetitionPolicy] = {}

    def near(petition: Petition, due) -> bool:
        if due is None:
            return False
        policy = policies.setdefault(petition.organisation_id, PetitionPolicy.for_organisation(petition.organisation_id))
        return now < due <= now + dt.timedelta(days=policy.reminder_days)

    candidates = []
    for petition in Petition.objects.filter(state=State.AWAITING_MODERATION):
        candidates.append((petition, "moderation", petition.moderation_due_at(), "petition.moderation_overdue", STAFF))
    for petition in Petition.objects.filter(state=State.CLOSED, kind=Kind.ORDINANCE, report_due_at__isnull=False):
        candidates.append((petition, "report", petition.report_due_at, "petition.ordinance_report_due", COUNCIL_STAFF))
    for petition in Petition.objects.filter(state__in=[State.SUBMITTED, State.UNDER_CONSIDERATION], council_due_at__isnull=False):
        candidates.append((petition, "council", petition.council_due_at, "petition.ordinance_council_due", COUNCIL_STAFF))
    for petition, kind, due, name, roles in candidates:
        if not near(petition, due):
            continue
        with transaction.atomic():
            _reminder, created = Reminder.objects.get_or_create(petition=petition, kind=kind, due_at=due)
            if created:
                outbox_write(**event(petition, name, {"roles": roles}, due_date=due.isoformat(), overdue=False))
                result["reminders"] += 1

    open_ids = list(Petition.objects.filter(state=State.OPEN).values_list("pk", flat=True))
    totals = totals_for(open_ids)
    for petition in Petition.objects.filter(pk__in=open_ids):
        if _crosses(petition, totals[petition.pk]):
            result["thresholds"] += len(thresholds_check(petition.pk))
    result["trending"] = trending_check(now=now)
    return result


TRENDING = "petition.trending"
HOUR = dt.timedelta(hours=1)


def trending_check(*, now: dt.datetime | None = None) -> int:
    """Tell the organisation's moderators and admins when an open petition's signing rate jumps:
    more than the policy's trend_min_signatures new signatures (pending or confirmed: a flood may
    never confirm) in the last trend_window_minutes, and more than trend_factor times the rate of
    the hour before. At most one alert per petition per window (a Reminder row, kind "trending").
    Run by petitions_check every 5 minutes; returns the alerts sent."""
    from .machine import STAFF, event
    from .models import Reminder

    now = now or timezone.now()
    sent = 0
    by_org: dict[int, list[int]] = {}
    for pk, organisation_id in Petition.objects.filter(state=State.OPEN).values_list("pk", "organisation_id"):
        by_org.setdefault(organisation_id, []).append(pk)
    for organisation_id, petition_ids in by_org.items():
        policy = PetitionPolicy.for_organisation(organisation_id)
        window = dt.timedelta(minutes=max(1, policy.trend_window_minutes))
        start = now - window
        rows = (
            Signature.objects.filter(petition_id__in=petition_ids, created_at__gte=start - HOUR, created_at__lte=now)
            .values_list("petition_id")
            .annotate(recent=Count("id", filter=Q(created_at__gte=start)), before=Count("id", filter=Q(created_at__lt=start)))
            .order_by()
        )
        for petition_id, recent, before in rows:
            baseline = before * (window / HOUR)  # the previous hour's rate, per window
            if recent <= policy.trend_min_signatures or recent <= policy.trend_factor * baseline:
                continue
            with transaction.atomic():
                petition = Petition.objects.select_for_update().get(pk=petition_id)  # one check at a time
                if Reminder.objects.filter(petition=petition, kind="trending", sent_at__gt=now - window).exists():
                    continue
                Reminder.objects.create(petition=petition, kind="trending", due_at=start, sent_at=now)
                minutes = int(window / dt.timedelta(minutes=1))
                outbox_write(
                    **event(
                        petition, TRENDING, {"roles": STAFF}, url=f"/petitions/{petition_id}/signatures/",
                        petition_url=petition.get_absolute_url(), count=recent, window_minutes=minutes, previous_hour=before,
                    )
                )  # fmt: skip
                sent += 1
    return sent
