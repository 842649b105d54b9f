"""The one write path for workflow records (see DESIGN.md, "The one write path").

    transition(record, "open", actor=moderator, reason="…")

BEGIN; lock the row; check the move exists, its conditions hold and the actor may make it;
apply the @transition; save the changed fields; append the audit entry; write outbox
events; COMMIT. Nothing else changes a state.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.selectors import principal_role
from notifications.services import outbox_write

from . import readcache, registry
from .errors import ApplicationError, Conflict, PermissionDenied, TransitionNotAllowed, ValidationFailed
from .models import (
    GENESIS_HASH,
    LEGACY_CHAIN,
    SITE_CHAIN,
    AuditChainHead,
    AuditEntry,
    Deadline,
    chain_genesis,
    payload_digest,
    payload_normal,
)

log = logging.getLogger(__name__)

SYSTEM = None  # the actor for moves made by deadlines and other scheduled work


def _field_values(record: models.Model) -> dict[str, Any]:
    return {f.attname: getattr(record, f.attname) for f in record._meta.concrete_fields}


def _unmet_conditions(meta, record, state) -> list[str]:
    t = meta.get_transition(state)
    unmet = []
    for condition in t.conditions or []:
        if not condition(record):
            unmet.append(str(getattr(condition, "message", None) or condition.__name__))
    return unmet


def transition(
    record: models.Model,
    name: str,
    *,
    actor,
    reason: str = "",
    payload: dict | None = None,
    expected_version: int | None = None,
    expected_state: str | None = None,
    confirm: bool | None = None,
):
    """Make move `name` on `record` as `actor` (None = the system). Returns the saved record.

    `confirm`: what a person's request said to a destructive move (workflows.confirm); False
    refuses one with ConfirmationRequired (400) after the other checks; None (the system, a
    service's own move) does not ask.

    Raises TransitionNotAllowed (no such move from here, or its conditions fail),
    PermissionDenied (the actor may not make it), Conflict (the record moved since the
    caller read it), ValidationFailed (a required reason or payload is missing).

    The returned record carries the new audit entry as `record.last_audit_entry`.
    """
    machine = registry.machine_for(record)
    if machine.lean:
        raise TransitionNotAllowed(
            _("There is no step called “%(name)s”.") % {"name": name}, code="unknown_transition"
        )  # its app's own SQL makes its moves
    metas = machine.transitions()
    meta = metas.get(name)
    if meta is None:
        raise TransitionNotAllowed(_("There is no step called “%(name)s”.") % {"name": name}, code="unknown_transition")
    reason = (reason or "").strip()
    payload = payload or {}

    with transaction.atomic():
        locked = type(record)._default_manager.select_for_update().get(pk=record.pk)
        field = meta.field
        source = field.get_state(locked)
        if expected_version is not None and locked.version != expected_version:
            raise Conflict(details={"expected_version": expected_version, "version": locked.version})
        if expected_state is not None and source != expected_state:
            raise Conflict(details={"expected_state": expected_state, "state": source})
        spec = meta.get_transition(source) if meta.has_transition(source) else None
        if spec is None:
            raise TransitionNotAllowed(
                _("“%(name)s” is not possible while the record is “%(state)s”.") % {"name": name, "state": source},
                details={"state": source, "transition": name},
            )
        if actor is not SYSTEM and not getattr(actor, "is_authenticated", False):
            raise PermissionDenied(_("Sign in to do this."), code="not_authenticated", details={"transition": name})
        if actor is not SYSTEM and not meta.has_transition_perm(locked, source, actor):
            raise PermissionDenied(details={"transition": name})
        if (spec.custom or {}).get("moderates"):
            moderation_guard(locked, actor, details={"transition": name})
        unmet = _unmet_conditions(meta, locked, source)
        if unmet:
            raise TransitionNotAllowed(
                _("“%(name)s” is not possible yet: %(why)s") % {"name": name, "why": "; ".join(unmet)},
                details={"state": source, "transition": name, "conditions": unmet},
            )
        custom = spec.custom or {}
        if custom.get("reason_required") and not reason:
            raise ValidationFailed(_("A reason is required for this step."), details={"reason": [_("This field is required.")]})
        clean = custom.get("clean_payload")
        if clean is not None:
            payload = clean(locked, payload)  # raises ValidationFailed
        if confirm is False and name in machine.confirm:  # a person's destructive move, last check
            from .confirm import require

            require({}, action=name)

        before = _field_values(locked)
        published_before = machine.published(locked) if machine.published is not None else None
        getattr(locked, name)(actor=actor, reason=reason, payload=payload)
        target = field.get_state(locked)
        locked.version += 1
        locked.updated_at = timezone.now()
        after = _field_values(locked)
        changed = [f.name for f in locked._meta.concrete_fields if before[f.attname] != after[f.attname]]
        locked.save(update_fields=changed)

        entry = audit_append(
            record=locked,
            action=AuditEntry.Action.TRANSITION,
            name=name,
            actor=actor,
            from_state=source,
            to_state=target,
            reason=reason,
            payload=payload,
        )
        if machine.notify is not None:
            move = registry.Move(
                name=name, field=field.name, source=source, target=target,
                actor=actor, reason=reason, payload=payload, audit_id=entry.pk,
            )  # fmt: skip
            for event in machine.notify(locked, move) or []:
                outbox_write(**event)
        if published_before is not None:  # the move (or its hook) may have published text: bind it
            published_record(record=locked, actor=actor, name=f"{name}:published", since=published_before)
    locked.last_audit_entry = entry
    return locked


def author_id_of(record) -> int | None:
    """Who wrote `record`: its machine's `author_of`, else its `author_id` (None: nobody, or a
    record that has no author, e.g. one the municipality made)."""
    try:
        machine = registry.machine_for(record)
    except LookupError:
        machine = None
    if machine is not None and machine.author_of is not None:
        return machine.author_of(record)
    return getattr(record, "author_id", None)


def own_contribution(record, actor) -> bool:
    """Is `actor` the author of `record`? (The system is nobody's author.)"""
    pk = getattr(actor, "pk", None)
    return actor is not SYSTEM and pk is not None and author_id_of(record) == pk


def moderation_guard(record, actor, *, details: dict | None = None) -> None:
    """Refuse a moderation act (a move declared with custom={"moderates": True}, or a domain
    service's own moderation: consultations' contributions) on what the actor wrote themselves:
    403 own_contribution_moderation. Another moderator must decide on it."""
    if own_contribution(record, actor):
        raise PermissionDenied(
            _("You wrote this yourself: another moderator must decide on it."),
            code="own_contribution_moderation",
            details=details or {},
        )


def audit_append(
    *,
    action: str,
    name: str,
    actor,
    record: models.Model | None = None,
    record_type: str = "",
    record_id: str | int = "",
    organisation_id: int | None = None,
    from_state: str = "",
    to_state: str = "",
    reason: str = "",
    payload: dict | None = None,
) -> AuditEntry:
    """Append one entry to the chain of its organisation (the site's chain when it has none). Must
    run inside the caller's transaction: the chain's head row stays locked until it commits, so
    appends to one chain are serialised and appends to different chains do not wait for each other.

    The payload is published with the entry (docs/AUDIT.md): it must never hold personal data;
    refer to people with actor_pseudonym()."""
    if record is not None:
        record_type = record._meta.label_lower
        record_id = record.pk
        organisation_id = getattr(record, "organisation_id", organisation_id)
    chain = organisation_id or SITE_CHAIN
    prev_hash = _head_locked(chain)
    entry = AuditEntry(
        organisation_id=organisation_id,
        record_type=record_type,
        record_id=str(record_id),
        action=action,
        name=name,
        actor=actor if getattr(actor, "pk", None) else None,
        actor_ref=actor_pseudonym(actor),
        actor_role=principal_role(actor, organisation_id),
        created_at=timezone.now(),
        from_state=from_state or "",
        to_state=to_state or "",
        reason=reason or "",
        payload=payload_normal(payload),
        prev_hash=prev_hash,
    )
    entry.payload_digest = payload_digest(entry.payload)
    entry.hash = entry.compute_hash()
    _insert_and_advance(entry, chain)
    # Every act the public can see is audited: when it commits, the read lane's copies go.
    transaction.on_commit(readcache.bump)
    return entry


def _insert_and_advance(entry: AuditEntry, chain: int) -> None:
    """Insert the entry and move its chain's head to it. On PostgreSQL one statement (a CTE: the
    INSERT's id feeds the head's UPDATE), one round trip fewer on every move; elsewhere two."""
    if connection.vendor != "postgresql":
        entry.save(force_insert=True)
        AuditChainHead.objects.filter(pk=chain).update(
            last_hash=entry.hash, last_entry_id=entry.pk, entries=models.F("entries") + 1
        )
        return
    fields = [f for f in AuditEntry._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    values = [f.get_db_prep_save(f.pre_save(entry, add=True), connection) for f in fields]
    sql = (
        f"WITH e AS (INSERT INTO {AuditEntry._meta.db_table} ({columns}) VALUES ({marks}) RETURNING id) "  # noqa: S608
        f"UPDATE {AuditChainHead._meta.db_table} SET last_hash = %s, last_entry_id = (SELECT id FROM e), "
        "entries = entries + 1 WHERE chain = %s RETURNING last_entry_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*values, entry.hash, chain])
        entry.pk = cursor.fetchone()[0]
    entry._state.adding = False
    entry._state.db = connection.alias


def _head_locked(chain: int) -> str:
    """The chain's last hash, its head row locked (FOR UPDATE) until the caller's transaction ends.
    A chain's first append creates the row at the chain's genesis, which binds the legacy chain's
    head; two first appends at once both end up locking the one row (the second insert does nothing).
    One plain statement on the hot path (the ORM's query building cost more than the query)."""
    sql = f"SELECT last_hash FROM {AuditChainHead._meta.db_table} WHERE chain = %s FOR UPDATE"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [chain])
        row = cursor.fetchone()
        if row is not None:
            return row[0]
        legacy = AuditChainHead.objects.filter(pk=LEGACY_CHAIN).first()
        genesis = chain_genesis(
            chain,
            legacy_hash=legacy.last_hash if legacy else GENESIS_HASH,
            legacy_entries=legacy.entries if legacy else 0,
        )
        AuditChainHead.objects.bulk_create([AuditChainHead(chain=chain, last_hash=genesis)], ignore_conflicts=True)
        cursor.execute(sql, [chain])
        return cursor.fetchone()[0]


def actor_pseudonym(user) -> str:
    """A stable, keyed pseudonym for a person in the public chain ("" for the system): the same
    person always has the same one, and nobody without the server key can tell who it is."""
    from accounts.thai import keyed_hash

    pk = getattr(user, "pk", None)
    return keyed_hash(str(pk), purpose="audit-actor")[:20] if pk else ""


def published_record(
    *, record: models.Model, actor, name: str = "publish", reason: str = "", since=None, extra: dict | None = None
) -> AuditEntry | None:
    """Bind what the public now reads of `record` into the chain: append an entry whose payload is
    the machine's published content (registry.Machine.published), unless it is unchanged since
    `since` (the content before the act, when the caller knows it). Inside the caller's transaction.
    Every act that changes published text (a decision, a response, a progress update) calls this.
    `extra` goes into the payload beside it (an attached file's hash)."""
    machine = registry.machine_for(record)
    if machine.published is None:
        return None
    content = payload_normal(machine.published(record))
    if since is not None and payload_normal(since) == content:
        return None
    entry = audit_append(
        record=record, action=AuditEntry.Action.MODERATION, name=name, actor=actor, reason=reason,
        payload={**(extra or {}), "published": content},
    )  # fmt: skip
    if machine.checkpoint_on_publish:
        from .anchoring import checkpoint_create

        checkpoint_create(reason=f"{record._meta.label_lower}:{record.pk}:{name}")
    return entry


def available_transitions(record: models.Model, user) -> list[dict]:
    """The moves `user` may make on `record` now (conditions met, permission held)."""
    machine = registry.machine_for(record)
    if user is not SYSTEM and not getattr(user, "is_authenticated", False):
        return []  # transition() refuses anonymous people, so they are offered nothing
    found = []
    for name, meta in machine.transitions().items():
        state = meta.field.get_state(record)
        if not meta.has_transition(state):
            continue
        if not meta.conditions_met(record, state):
            continue
        if user is not SYSTEM and not meta.has_transition_perm(record, state, user):
            continue
        spec = meta.get_transition(state)
        custom = spec.custom or {}
        if custom.get("moderates") and own_contribution(record, user):
            continue  # moderation_guard would refuse it: nobody is offered their own
        found.append(
            {
                "name": name,
                "label": str(custom.get("label", name)),
                "field": meta.field.name,
                "source": state,
                # A computed target (RETURN_VALUE) says where it would go with custom["target_of"].
                "target": custom["target_of"](record) if "target_of" in custom else spec.target,
                "reason_required": bool(custom.get("reason_required")),
                "confirm_required": name in machine.confirm,
            }
        )
    return found


def deadline_schedule(record: models.Model, *, transition: str, due_at: dt.datetime) -> Deadline:
    """Schedule (or move) the pending deadline for one move of one record."""
    deadline, _created = Deadline.objects.update_or_create(
        record_type=record._meta.label_lower,
        record_id=str(record.pk),
        transition=transition,
        done_at__isnull=True,
        defaults={"due_at": due_at},
    )
    return deadline


def deadline_cancel(record: models.Model, *, transition: str | None = None) -> int:
    pending = Deadline.objects.filter(record_type=record._meta.label_lower, record_id=str(record.pk), done_at__isnull=True)
    if transition:
        pending = pending.filter(transition=transition)
    return pending.update(done_at=timezone.now(), outcome="cancelled")


# --- Deadlines -------------------------------------------------------------------------------

OUTCOME_APPLIED = "applied"
OUTCOME_NOT_ALLOWED = "skipped: not allowed now"


def deadlines_advance(*, now: dt.datetime | None = None, limit: int | None = None) -> dict[str, int]:
    """Apply every due Deadline once, as the system. Returns {"applied": n, "skipped": m}.

    Each row is claimed with SELECT … FOR UPDATE SKIP LOCKED in its own transaction, so two
    workers (beat + a manual `manage.py advance_workflows`) never apply the same row, and a
    row is marked done with its outcome in the same transaction as the move it made (a crash
    rolls both back, and the row is tried again on the next run). A row
    whose move is no longer possible is marked "skipped: …" and never tried again; running
    this twice changes nothing the second time.
    """
    from django.conf import settings
    from django.utils import translation

    now = now or timezone.now()
    counts = {"applied": 0, "skipped": 0}
    done = 0
    # Only rows that existed when the run began: a hook that schedules its move again (already
    # due) waits for the next run instead of looping here.
    last_id = Deadline.objects.aggregate(last=models.Max("id"))["last"] or 0
    while limit is None or done < limit:
        with transaction.atomic():
            row = (
                Deadline.objects.select_for_update(skip_locked=True)
                .filter(done_at__isnull=True, due_at__lte=now, id__lte=last_id)
                .order_by("due_at", "id")
                .first()
            )
            if row is None:
                break
            # Mark the row done before the move: the machine's notify hook may cancel or schedule
            # deadlines of the same move (a next stage), and must not find this row still pending.
            Deadline.objects.filter(pk=row.pk).update(done_at=timezone.now(), outcome="applying")
            outcome = _deadline_apply(row, language=settings.LANGUAGE_CODE, translation=translation)
            Deadline.objects.filter(pk=row.pk).update(outcome=outcome[:200])
        counts["applied" if outcome == OUTCOME_APPLIED else "skipped"] += 1
        done += 1
    return counts


def _deadline_apply(row: Deadline, *, language: str, translation) -> str:
    machine = registry.machine_by_label(row.record_type)
    if machine is None:
        return "skipped: no workflow registered"
    record = machine.model._default_manager.filter(pk=row.record_id).first()
    if record is None:
        return "skipped: record not found"
    with translation.override(language):  # the audit reason is stored in the site's language
        reason = _("Deadline reached")
    try:
        with transaction.atomic():  # a savepoint: a failed move leaves nothing behind
            transition(record, row.transition, actor=SYSTEM, reason=reason, payload={"deadline": row.pk})
    except TransitionNotAllowed:
        return OUTCOME_NOT_ALLOWED
    except ApplicationError as exc:
        return f"skipped: {exc.code}"
    except Exception as exc:  # a broken row must not block every later deadline
        log.exception("deadline %s failed", row.pk)
        return f"failed: {type(exc).__name__}"
    return OUTCOME_APPLIED


# --- Roles -----------------------------------------------------------------------------------


def membership_grant(*, admin, user, organisation, role: str):
    """Give `user` a role in `organisation`. Staff roles are granted only by an admin of that
    organisation (or a superuser; admin=None is the operator's command line). Audited.
    Idempotent: granting a role the user already holds returns the existing membership."""
    from accounts.models import Membership, Role
    from accounts.selectors import forget_roles, has_role

    if role not in Role.values:
        raise ValidationFailed(_("Unknown role “%(role)s”.") % {"role": role}, details={"role": [role]})
    if admin is not SYSTEM and not (getattr(admin, "is_superuser", False) or has_role(admin, organisation, Role.ADMIN)):
        raise PermissionDenied(_("Only an administrator of this organisation can grant roles."))
    with transaction.atomic():
        membership, created = Membership.objects.get_or_create(
            user=user, organisation=organisation, role=role, defaults={"granted_by": admin if admin is not SYSTEM else None}
        )
        if created:
            audit_append(
                action=AuditEntry.Action.MODERATION,
                name="membership_grant",
                actor=admin,
                record_type="accounts.membership",
                record_id=membership.pk,
                organisation_id=organisation.pk,
                to_state=role,
                payload={"user": actor_pseudonym(user), "role": role},
            )
    forget_roles(user)
    return membership


def membership_revoke(*, admin, user, organisation, role: str) -> bool:
    """Take a role away (same rules as membership_grant). Returns whether one was removed."""
    from accounts.models import Membership, Role
    from accounts.selectors import forget_roles, has_role

    if admin is not SYSTEM and not (getattr(admin, "is_superuser", False) or has_role(admin, organisation, Role.ADMIN)):
        raise PermissionDenied(_("Only an administrator of this organisation can change roles."))
    with transaction.atomic():
        membership = Membership.objects.filter(user=user, organisation=organisation, role=role).first()
        if membership is None:
            return False
        audit_append(
            action=AuditEntry.Action.MODERATION,
            name="membership_revoke",
            actor=admin,
            record_type="accounts.membership",
            record_id=membership.pk,
            organisation_id=organisation.pk,
            from_state=role,
            payload={"user": actor_pseudonym(user), "role": role},
        )
        membership.delete()
    forget_roles(user)
    return True


# --- Policies ----------------------------------------------------------------------------------


def _may_administer(actor, organisation_id: int) -> bool:
    from accounts.models import Role
    from accounts.selectors import has_role

    return actor is SYSTEM or getattr(actor, "is_superuser", False) or has_role(actor, organisation_id, Role.ADMIN)


def policy_fields(model) -> list[str]:
    """The numbers of a per-organisation policy model (every concrete field but its id and organisation)."""
    return [f.attname for f in model._meta.concrete_fields if not f.primary_key and f.name != "organisation"]


def policy_update(model, *, organisation_id: int, actor, values: dict, reason: str = ""):
    """Change an organisation's policy row (a model with a one-to-one `organisation`: the petition
    rules, the consultation rules). Only an administrator of the organisation (or a superuser; the
    system for the operator's commands). Audited as "policy_changed" with each changed value
    before and after; creating the row counts as changing it from the defaults. Returns the row."""
    if not _may_administer(actor, organisation_id):
        raise PermissionDenied(_("Only an administrator of this organisation can change its rules."))
    names = policy_fields(model)
    unknown = sorted(set(values) - set(names))
    if unknown:
        raise ValidationFailed(details={name: [_("Unknown setting.")] for name in unknown})
    with transaction.atomic():
        policy = model._default_manager.select_for_update().filter(organisation_id=organisation_id).first()
        created = policy is None
        if created:
            policy = model(organisation_id=organisation_id)
        before = {name: getattr(policy, name) for name in names}
        for name, value in values.items():
            setattr(policy, name, value)
        try:
            policy.full_clean(exclude=["organisation"], validate_unique=False)
        except DjangoValidationError as exc:
            raise ValidationFailed(details=exc.message_dict) from None
        after = {name: getattr(policy, name) for name in names}
        changed = [name for name in names if before[name] != after[name]]
        if not changed and not created:
            return policy
        policy.save()
        audit_append(
            action=AuditEntry.Action.MODERATION, name="policy_changed", actor=actor, record=policy,
            organisation_id=organisation_id, reason=reason,
            payload={"before": {n: before[n] for n in changed}, "after": {n: after[n] for n in changed}, "created": created},
        )  # fmt: skip
    return policy
