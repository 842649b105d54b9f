"""Writes and reads about a person's data: the export, erasure requests and their completion, the
retention purge. Each app's part is its registered Holder (registry.py); this module knows none.

An erasure keeps every count and the audit chain as they are: the account row stays (sponsors,
ballots, supports and contributions still point at it) but loses name, email, village, password
and roles; each app removes or anonymises what it holds. The chain never held personal data
(people appear as actor_pseudonym), so it verifies the same afterwards; the erasure itself is an
entry with the person's pseudonym and the numbers, nothing else.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from workflows.errors import Conflict, NotFound, PermissionDenied, ValidationFailed

from ..models import ErasureRequest, Membership, Role, User
from ..selectors import default_organisation, forget_roles, has_role
from .registry import holders

EXPORT_FORMAT = "ruamkid-personal-data-1"
ERASED_DOMAIN = "erased.invalid"  # a reserved domain (RFC 2606): no mail can ever reach it


def erased_email(pk: int) -> str:
    """What an erased account's (unique, required) email becomes."""
    return f"erased-{pk}@{ERASED_DOMAIN}"


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def personal_data_export(*, user: User) -> dict:
    """Everything held about `user`, as JSON-able data: the account and roles here, then each
    registered app's part under its name (petitions: signatures made with this email, also
    signed out, once the email is confirmed; consultations: contributions and "you voted" without
    the choice; notifications: follows, preferences, inbox)."""
    village = user.village
    data: dict = {
        "format": EXPORT_FORMAT,
        "generated_at": timezone.now().isoformat(),
        "account": {
            "email": user.email,
            "email_confirmed_at": _iso(user.email_confirmed_at),
            "full_name": user.full_name,
            "language": user.language,
            "village": {"number": village.number, "name": village.name, "organisation": village.organisation.name}
            if village
            else None,
            "verification_level": user.verification_level,
            "identity_verified_at": _iso(user.identity_verified_at),
            "national_id_kept_as": "keyed hash" if user.national_id_hash else "",
            "date_joined": _iso(user.date_joined),
            "last_login": _iso(user.last_login),
        },
        "memberships": [
            {"organisation": m.organisation.name, "role": m.role, "granted_at": _iso(m.granted_at)}
            for m in Membership.objects.filter(user=user).select_related("organisation").order_by("id")
        ],
        "erasure_requests": [
            {"state": r.state, "note": r.note, "requested_at": _iso(r.requested_at), "decided_at": _iso(r.decided_at)}
            for r in ErasureRequest.objects.filter(user=user).order_by("id")
        ],
    }
    for holder in holders():
        if holder.export is not None:
            data[holder.name] = holder.export(user)
    return data


def _organisation_of(user: User):
    """Whose staff handle the person's request: where they are a resident, else where they hold any
    role, else the site's first organisation."""
    memberships = list(Membership.objects.filter(user=user).select_related("organisation").order_by("id"))
    chosen = next((m for m in memberships if m.role == Role.RESIDENT), memberships[0] if memberships else None)
    return chosen.organisation if chosen else default_organisation()


def erasure_request(*, user: User, note: str = "") -> tuple[ErasureRequest, bool]:
    """Ask for erasure. Returns (request, created): a person has at most one open request, and
    asking again returns it. The admins of the organisation are told (outbox)."""
    note = (note or "").strip()
    if len(note) > 2000:
        raise ValidationFailed(details={"note": [_("At most %(n)d characters.") % {"n": 2000}]})
    if not getattr(user, "is_authenticated", False) or user.erased_at is not None:
        raise PermissionDenied()
    with transaction.atomic():
        existing = ErasureRequest.objects.select_for_update().filter(user=user, state=ErasureRequest.State.OPEN).first()
        if existing is not None:
            return existing, False
        request = ErasureRequest.objects.create(user=user, organisation=_organisation_of(user), note=note)
        _tell_admins(request)
    return request, True


def _tell_admins(request: ErasureRequest) -> None:
    from django.urls import reverse

    from notifications.services import outbox_write  # the one seam to mail; see DESIGN.md

    if request.organisation_id is None:
        return
    outbox_write(
        event="privacy.erasure_requested",
        data={"title": _("A person asks for their personal data to be erased"), "url": reverse("accounts:privacy-requests")},
        audience={"roles": [str(Role.ADMIN)]},
        organisation_id=request.organisation_id,
        record_type="accounts.erasurerequest",
        record_id=request.pk,
    )


def may_decide(user, request: ErasureRequest) -> bool:
    """An admin of the request's organisation, or a superuser."""
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_superuser or (request.organisation_id and has_role(user, request.organisation_id, Role.ADMIN)))


def _open_request_for(request_id: int, actor) -> ErasureRequest:
    request = ErasureRequest.objects.select_for_update().filter(pk=request_id).first()
    if request is None or not may_decide(actor, request):
        raise NotFound(_("There is no such request."))
    if request.state != ErasureRequest.State.OPEN:
        raise Conflict(_("This request has already been decided."), code="already_decided", details={"state": request.state})
    return request


def erasure_complete(*, request_id: int, actor) -> dict[str, int]:
    """Erase the person of an open request: every app's part (Holder.erase), then the account.
    One transaction; audited as `personal_data_erased` with the person's pseudonym and the
    numbers (no personal data). Returns the numbers."""
    with transaction.atomic():
        request = _open_request_for(request_id, actor)
        user = User.objects.select_for_update().get(pk=request.user_id)
        counts: dict[str, int] = {}
        for holder in holders():
            if holder.erase is not None:
                counts.update({f"{holder.name}.{what}": n for what, n in holder.erase(user).items()})
        counts.update({f"accounts.{what}": n for what, n in _account_erase(user).items()})
        now = timezone.now()
        ErasureRequest.objects.filter(user=user).update(note="")
        ErasureRequest.objects.filter(pk=request.pk).update(
            state=ErasureRequest.State.DONE, decided_at=now, decided_by=actor if actor.pk != user.pk else None
        )
        _audit(request, actor, "personal_data_erased", ErasureRequest.State.DONE, {"erased": dict(sorted(counts.items()))})
    return counts


def _audit(request: ErasureRequest, actor, name: str, to_state: str, payload: dict, reason: str = "") -> None:
    """The decision's entry in the public chain: the person only as their pseudonym (docs/AUDIT.md)."""
    from workflows.models import AuditEntry  # accounts sits below the engine: imported when used
    from workflows.services import actor_pseudonym, audit_append

    audit_append(
        action=AuditEntry.Action.MODERATION, name=name, actor=actor, record_type="accounts.erasurerequest",
        record_id=request.pk, organisation_id=request.organisation_id, from_state=ErasureRequest.State.OPEN,
        to_state=to_state, reason=reason, payload={"subject": actor_pseudonym(request.user)} | payload,
    )  # fmt: skip


def _account_erase(user: User) -> dict[str, int]:
    from rest_framework.authtoken.models import Token

    roles, _by_model = Membership.objects.filter(user=user).delete()
    tokens, _by_model = Token.objects.filter(user=user).delete()
    user.groups.clear()
    user.user_permissions.clear()
    # A new password hash also ends every session of the account (Django checks it per request).
    User.objects.filter(pk=user.pk).update(
        email=erased_email(user.pk), full_name="", village=None, password=make_password(None), is_active=False,
        is_staff=False, is_superuser=False, email_confirmed_at=None, last_login=None, erased_at=timezone.now(),
        identity_level="", identity_verified_at=None, national_id_hash=None,
    )  # fmt: skip
    forget_roles(user)
    return {"account": 1, "roles": roles, "tokens": tokens}


def erasure_refuse(*, request_id: int, actor, reason: str) -> ErasureRequest:
    """Refuse with a reason the person is told (e.g. an ordinance initiative already filed with the
    council must keep its signers). Audited; the reason is public, so it names no one."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(details={"reason": [_("This field is required.")]})
    with transaction.atomic():
        request = _open_request_for(request_id, actor)
        request.state, request.decided_at, request.decided_by, request.reason = (
            ErasureRequest.State.REFUSED, timezone.now(), actor, reason,
        )  # fmt: skip
        request.save(update_fields=["state", "decided_at", "decided_by", "reason"])
        _audit(request, actor, "personal_data_erasure_refused", ErasureRequest.State.REFUSED, {}, reason=reason)
    return request


def personal_data_purge(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Every app's retention rule (Holder.purge), e.g. signers' data a set time after a petition
    ends. Idempotent: run daily by beat (accounts.tasks.purge_personal_data) and by
    `manage.py purge_personal_data`."""
    now = now or timezone.now()
    done: dict[str, int] = {}
    for holder in holders():
        if holder.purge is not None:
            done.update({f"{holder.name}.{what}": n for what, n in holder.purge(now).items()})
    return done
