"""Petitions' part of personal data (PDPA), registered with accounts.privacy in apps.ready():
what a person's export shows, how their erasure treats their signatures, and the retention purge
of signers' names, emails and ID/IP fingerprints after a petition ends.

A signature is not tied to an account: it is found by its email, and only once the account's
email is confirmed (else anyone could register someone's address and read their signatures).
Counts never change here: tallies (SignatureTally) are not touched, and a confirmed signature stays
confirmed with its village and times; only what identifies the signer goes. Purged and erased
rows keep a placeholder email (erased-<id>@erased.invalid) because the one-active-signature-per-
email unique index, which the signing statement's ON CONFLICT names, needs distinct values.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import CharField, Q, Value
from django.db.models.functions import Cast, Concat

from accounts.models import fold_email, normalise_email
from workflows.models import AuditEntry
from workflows.services import audit_append

from .models import CouncilOutcome, Kind, Petition, Signature, SignatureState, Sponsor, State

ERASED_EMAIL_SUFFIX = "@erased.invalid"  # RFC 2606: no mail can reach it (accounts.privacy.services.ERASED_DOMAIN)


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def _own_signatures(user):
    if not user.email_confirmed:
        return Signature.objects.none()
    return Signature.objects.filter(email__in={normalise_email(user.email), fold_email(user.email)})


def export(user) -> dict:
    """The person's petitions, sponsorships and signatures (those made with their email signed out
    too). The national ID shows as its last 4 digits: the rest was never stored."""
    signatures = _own_signatures(user).select_related("petition").order_by("id")
    return {
        "petitions_started": [
            {"id": p.pk, "title": p.title, "kind": p.kind, "state": p.state, "created_at": _iso(p.created_at)}
            for p in Petition.objects.filter(author=user).order_by("id")
        ],
        "sponsored": [
            {"petition": s.petition_id, "title": s.petition.title, "created_at": _iso(s.created_at)}
            for s in Sponsor.objects.filter(user=user).select_related("petition").order_by("id")
        ],
        "signatures": [
            {
                "petition": s.petition_id,
                "title": s.petition.title,
                "state": s.state,
                "channel": s.channel,
                "name": s.name,
                "email": s.email,
                "village_number": s.village_number,
                "national_id_last4": s.national_id_last4,
                "national_id_kept_as": "keyed hash" if s.national_id_hash else "",
                "ip_address_kept_as": "keyed hash" if s.ip_hash else "",
                "language": s.language,
                "consented_at": _iso(s.consented_at),
                "created_at": _iso(s.created_at),
                "confirmed_at": _iso(s.confirmed_at),
                "ended_at": _iso(s.ended_at),
            }
            for s in signatures
        ],
    }


def _anonymise(queryset) -> int:
    """Remove what identifies the signers of `queryset`; keep state, village and times (counts)."""
    return queryset.update(
        name="",
        email=Concat(Value("erased-"), Cast("id", CharField()), Value(ERASED_EMAIL_SUFFIX), output_field=CharField()),
        national_id_hash=None,
        national_id_last4="",
        ip_hash="",
    )


def erase(user) -> dict[str, int]:
    """In the erasure's transaction: delete the person's pending signatures, anonymise the others
    (they stay counted). Petitions they started and sponsorships stay linked to the anonymised
    account, so the author shows as "a resident" and sponsor counts hold."""
    own = _own_signatures(user)
    pending, _by_model = own.filter(state=SignatureState.PENDING).delete()
    anonymised = _anonymise(own.exclude(state=SignatureState.PENDING))
    return {"signatures_anonymised": anonymised, "pending_signatures_deleted": pending}


# --- retention ----------------------------------------------------------------------------------
# A general petition's signers are needed until signing ends (closed_at): after that the response
# and the council only use counts. An ordinance initiative's signers are filed with the council, so
# they are kept until it is over: decided (from the outcome's date), closed without reaching its
# threshold, or hidden (which ends signing).
def ended_before(cutoff: dt.datetime):
    """Petitions whose signers' data has served its purpose since before `cutoff`."""
    decided = CouncilOutcome.objects.filter(recorded_at__lt=cutoff).values("petition_id")
    return Petition.objects.filter(
        Q(kind=Kind.GENERAL, closed_at__lt=cutoff)
        | Q(kind=Kind.ORDINANCE, state=State.DECIDED, pk__in=decided)
        | Q(kind=Kind.ORDINANCE, state=State.CLOSED, council_threshold_reached_at__isnull=True, closed_at__lt=cutoff)
        | Q(kind=Kind.ORDINANCE, state=State.HIDDEN, closed_at__lt=cutoff)
    )


def _identifying(petition_id: int):
    """The petition's signatures that still hold something that identifies the signer."""
    return Signature.objects.filter(petition_id=petition_id).exclude(
        name="", national_id_hash__isnull=True, ip_hash="", email__endswith=ERASED_EMAIL_SUFFIX
    )


def purge(now: dt.datetime) -> dict[str, int]:
    """Signers' names, emails and ID/IP fingerprints of petitions that ended more than
    PDPA_SIGNATURE_RETENTION_DAYS ago; their pending (never counted) signatures are deleted.
    Counts, village tallies, states and times stay. Each purged petition gets one audit entry (how
    many, the retention) so the public record shows it. Idempotent: a purged petition has nothing
    left to purge and gets no second entry."""
    days = int(settings.PDPA_SIGNATURE_RETENTION_DAYS)
    ended = ended_before(now - dt.timedelta(days=days)).order_by("pk").values_list("pk", flat=True)
    petitions = signatures = 0
    for petition_id in ended.iterator():
        if not _identifying(petition_id).exists():
            continue
        with transaction.atomic():
            petition = Petition.objects.select_for_update().get(pk=petition_id)
            rows = _identifying(petition_id)
            pending, _by_model = rows.filter(state=SignatureState.PENDING).delete()
            anonymised = _anonymise(rows.exclude(state=SignatureState.PENDING))
            audit_append(
                action=AuditEntry.Action.SYSTEM, name="signers_data_purged", actor=None, record=petition,
                payload={"signatures": anonymised, "pending_deleted": pending, "retention_days": days},
            )  # fmt: skip
        petitions += 1
        signatures += anonymised + pending
    return {"petitions": petitions, "signatures": signatures}
