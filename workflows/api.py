"""The engine's API: the generic transition endpoints every workflow record shares.

GET  /api/v1/<records>/<id>/transitions/          the moves this user may make now
POST /api/v1/<records>/<id>/transitions/<name>/   {"reason": "...", "payload": {...}}
"""

import datetime as dt

from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from . import registry
from .errors import NotFound, PermissionDenied, ValidationFailed
from .models import AuditCheckpoint, AuditEntry, chain_key
from .selectors import actor_display, audit_entries, audit_verify, organisation_chain, published_current
from .services import available_transitions, membership_grant, membership_revoke, transition


class TransitionRequest(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=4000, default="")
    payload = serializers.DictField(required=False, default=dict)
    expected_version = serializers.IntegerField(required=False, min_value=0)
    expected_state = serializers.CharField(required=False, max_length=50)
    confirm = serializers.BooleanField(
        required=False, default=False, help_text="true for a destructive move (confirm_required), else 400 confirmation_required"
    )


class AvailableTransition(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    field = serializers.CharField()
    source = serializers.CharField()
    target = serializers.CharField()
    reason_required = serializers.BooleanField()
    confirm_required = serializers.BooleanField()


def _record(api_name: str, pk: int, user):
    machine = registry.machine_by_api_name(api_name)
    if machine is None:
        raise NotFound()
    record = machine.model._default_manager.filter(pk=pk).first()
    if record is None or (machine.visible_to is not None and not machine.visible_to(record, user)):
        raise NotFound()
    return machine, record


def _state_of(machine, record) -> dict:
    return {f.name: f.get_state(record) for f in machine.fsm_fields()} | {"version": record.version}


class TransitionListView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Moves the current user may make on a workflow record now",
        responses={
            200: inline_serializer(
                "TransitionList",
                {
                    "state": serializers.DictField(),
                    "transitions": AvailableTransition(many=True),
                },
            )
        },  # fmt: skip
        tags=["workflow"],
    )
    def get(self, request, records: str, pk: int):
        machine, record = _record(records, pk, request.user)
        return Response({"state": _state_of(machine, record), "transitions": available_transitions(record, request.user)})


class TransitionApplyView(APIView):
    permission_classes = [AllowAny]  # the transition's own permission decides; anonymous gets 403

    @extend_schema(
        summary="Make a move on a workflow record",
        request=TransitionRequest,
        responses={
            200: inline_serializer(
                "TransitionResult", {"state": serializers.DictField(), "audit_id": serializers.IntegerField()}
            ),
            400: OpenApiResponse(description="invalid, or confirmation_required (a destructive move without confirm)"),
            403: OpenApiResponse(description="forbidden"),
            409: OpenApiResponse(description="transition_not_allowed or conflict"),
        },
        tags=["workflow"],
    )
    def post(self, request, records: str, pk: int, name: str):
        machine, record = _record(records, pk, request.user)
        if not request.user.is_authenticated:
            raise PermissionDenied(_("Sign in to do this."), code="not_authenticated")
        body = TransitionRequest(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        updated = transition(
            record,
            name,
            actor=request.user,
            reason=data.get("reason", ""),
            payload=data.get("payload") or {},
            expected_version=data.get("expected_version"),
            expected_state=data.get("expected_state"),
            confirm=data.get("confirm", False),
        )
        return Response({"state": _state_of(machine, updated), "audit_id": updated.last_audit_entry.pk})


# --- The public audit trail ----------------------------------------------------------------


class AuditEntrySerializer(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()

    class Meta:
        model = AuditEntry
        fields = [
            "id", "format", "organisation", "record_type", "record_id", "action", "name", "actor", "actor_ref",
            "actor_role", "created_at", "from_state", "to_state", "reason", "payload", "payload_digest", "prev_hash", "hash",
        ]  # fmt: skip

    @extend_schema_field(
        inline_serializer(
            "AuditActor",
            {"role": serializers.CharField(), "role_label": serializers.CharField(), "name": serializers.CharField()},
        )
    )
    def get_actor(self, entry) -> dict:
        return actor_display(entry)

    def to_representation(self, entry):
        if entry.record_type in self.context.setdefault("private", set(registry.private_labels())):
            # A private record's entry (an integrity report): its place in the chain, nothing of it.
            # Its format and organisation say which chain it is in (docs/AUDIT.md, "Chains").
            return {"id": entry.pk, "redacted": True, "format": entry.format, "organisation": entry.organisation_id,
                    "prev_hash": entry.prev_hash, "hash": entry.hash}  # fmt: skip
        data = super().to_representation(entry)
        # The hashed timestamp, exactly (microseconds, UTC), so anyone can recompute the hash.
        data["created_at"] = entry.created_at.astimezone(dt.UTC).isoformat(timespec="microseconds")
        return data


REDACTED_ENTRY = inline_serializer(
    "RedactedAuditEntry",
    {"id": serializers.IntegerField(), "redacted": serializers.BooleanField(), "format": serializers.IntegerField(),
     "organisation": serializers.IntegerField(allow_null=True), "prev_hash": serializers.CharField(),
     "hash": serializers.CharField()},
)  # fmt: skip
# An item of the trail is one of the two (the schema said every item was a full entry).
AUDIT_ITEM = PolymorphicProxySerializer(
    component_name="AuditTrailItem", serializers=[AuditEntrySerializer, REDACTED_ENTRY], resource_type_field_name=None, many=True
)


class AuditListView(ListAPIView):
    """The public audit trail, newest first. Filter with ?record_type=&record_id=&organisation= (id or slug),
    or take one whole chain with ?chain=legacy|site|organisation:<id> (docs/AUDIT.md, "Chains").
    Entries of private records (integrity reports) appear as {"id", "redacted": true, "format",
    "organisation", "prev_hash", "hash"}."""

    permission_classes = [AllowAny]
    serializer_class = AuditEntrySerializer
    # the default pagination: workflows.paging.CursorPagination, newest (highest id) first
    filter_backends: list = []

    @extend_schema(
        summary="The public audit trail (hash-chained)",
        parameters=[
            OpenApiParameter("record_type", str, description="app_label.model, e.g. petitions.petition"),
            OpenApiParameter("record_id", str),
            OpenApiParameter("organisation", str, description="organisation id or slug"),
            OpenApiParameter(
                "chain", str, description="one whole chain, redacted entries included: legacy, site or organisation:<id>"
            ),
        ],
        responses=AUDIT_ITEM,
        tags=["audit"],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        q = self.request.query_params
        chain = None
        if "chain" in q:
            chain = chain_key(q["chain"][:40])
            if chain is None:
                raise ValidationFailed(
                    _("A chain is “legacy”, “site” or “organisation:” and an organisation's number."),
                    details={"chain": [_("Unknown chain.")]},
                )
        return audit_entries(
            record_type=q.get("record_type", "")[:100],
            record_id=q.get("record_id", "")[:64],
            organisation=q.get("organisation", "")[:50] or None,
            chain=chain,
            # redacted by the serializer, so the links stay checkable from outside; never found by a filter
            include_private=not (q.get("record_type") or q.get("record_id") or q.get("organisation")),
        )


class AuditVerifyThrottle(SimpleRateThrottle):
    """Verification reads the whole chain: a few per minute per client is plenty (the operator's
    `manage.py verify_audit` is not limited)."""

    scope = "audit_verify"
    rate = "10/min"

    def get_cache_key(self, request, view):
        ident = request.user.pk if request.user.is_authenticated else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}


class AuditVerifyView(APIView):
    permission_classes = [AllowAny]
    throttle_classes = [AuditVerifyThrottle]

    @extend_schema(
        summary="Recompute the audit chains and report OK or the first broken entry",
        parameters=[
            OpenApiParameter("organisation", str, description="only this organisation's chain (id or slug; site: the site's)")
        ],
        responses={
            200: inline_serializer(
                "AuditVerify",
                {
                    "ok": serializers.BooleanField(),
                    "entries": serializers.IntegerField(),
                    "first_broken": serializers.DictField(required=False),
                    "problem": serializers.CharField(required=False),
                    "code": serializers.CharField(required=False),
                    "chains": serializers.DictField(child=serializers.IntegerField(), required=False),
                },
            )
        },  # fmt: skip
        tags=["audit"],
    )
    def get(self, request):
        organisation = request.query_params.get("organisation", "")[:50]
        if not organisation:
            return Response(audit_verify().as_dict())
        chain = organisation_chain(organisation)
        if chain is None:
            raise NotFound(_("There is no such organisation."), details={"organisation": organisation})
        return Response(audit_verify(organisation=chain).as_dict())


class AuditCheckpointSerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditCheckpoint
        fields = ["id", "version", "entry_id", "entry_hash", "entries", "heads", "created_at", "reason", "key_id", "signature"]

    def to_representation(self, checkpoint):
        from .anchoring import checkpoint_as_dict

        return checkpoint_as_dict(checkpoint)


class AuditCheckpointListView(ListAPIView):
    """The signed checkpoints of the chain head, newest first (docs/AUDIT.md): save one and check
    the chain against it later with tools/verify_record.py --checkpoint."""

    permission_classes = [AllowAny]
    serializer_class = AuditCheckpointSerializer
    filter_backends: list = []
    queryset = AuditCheckpoint.objects.order_by("-id")

    @extend_schema(summary="Signed checkpoints of the audit chain (Ed25519)", tags=["audit"])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class AuditKeyView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        summary="The public key that signs audit checkpoints",
        responses=inline_serializer("AuditKey", {"algorithm": serializers.CharField(), "public_key": serializers.CharField()}),
        tags=["audit"],
    )
    def get(self, request):
        from .anchoring import public_key_hex

        return Response({"algorithm": "Ed25519", "public_key": public_key_hex()})


class AuditPublishedView(APIView):
    """What the public reads now of one record (decision, answers, responses), in the form its audit
    entries bind: compare with the payload of the record's newest "published" entry."""

    permission_classes = [AllowAny]

    @extend_schema(
        summary="A record's published content, as the audit chain binds it",
        responses={
            200: inline_serializer(
                "AuditPublished",
                {
                    "record_type": serializers.CharField(),
                    "record_id": serializers.CharField(),
                    "published": serializers.DictField(),
                },
            ),
            404: OpenApiResponse(description="not_found"),
        },
        tags=["audit"],
    )
    def get(self, request, record_type: str, record_id: str):
        machine = registry.machine_by_label(record_type[:100])
        record = machine.model._default_manager.filter(pk=record_id).first() if machine and record_id.isdigit() else None
        if record is None or (machine.visible_to is not None and not machine.visible_to(record, request.user)):
            raise NotFound()
        return Response(
            {"record_type": machine.label, "record_id": str(record.pk), "published": published_current(machine.label, record.pk)}
        )


# --- Staff roles: granted and revoked by an admin of the organisation (audited) -------------


class MembershipGrantRequest(serializers.Serializer):
    email = serializers.EmailField()
    role = serializers.ChoiceField(choices=["resident", "moderator", "clerk", "admin", "integrity"])


def _organisation_for_admin(slug: str, user):
    from accounts.models import Organisation, Role
    from accounts.selectors import has_role

    organisation = Organisation.objects.filter(slug=slug).first()
    if organisation is None:
        raise NotFound()
    if not (getattr(user, "is_superuser", False) or has_role(user, organisation, Role.ADMIN)):
        raise PermissionDenied(_("Only an administrator of this organisation can see or change its roles."))
    return organisation


def _members(organisation) -> list[dict]:
    from accounts.models import Membership

    rows = Membership.objects.filter(organisation=organisation).select_related("user").order_by("user__email", "role")
    return [
        {"user": m.user_id, "email": m.user.email, "name": m.user.full_name, "role": m.role, "granted_at": m.granted_at}
        for m in rows
    ]


class MembershipListView(APIView):
    """GET the people holding roles in an organisation; POST {"email", "role"} to grant one. Admins only."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Roles in an organisation (admins only)",
        responses=inline_serializer(
            "OrganisationMembers",
            {"organisation": serializers.CharField(), "members": serializers.ListField(child=serializers.DictField())},
        ),
        tags=["accounts"],
    )
    def get(self, request, org: str):
        organisation = _organisation_for_admin(org, request.user)
        return Response({"organisation": organisation.slug, "members": _members(organisation)})

    @extend_schema(
        summary="Grant a role (admins only; audited)",
        request=MembershipGrantRequest,
        responses={
            201: inline_serializer(
                "MembershipGranted",
                {"user": serializers.IntegerField(), "role": serializers.CharField(), "organisation": serializers.CharField()},
            )
        },
        tags=["accounts"],
    )
    def post(self, request, org: str):
        from accounts.models import User, normalise_email

        organisation = _organisation_for_admin(org, request.user)
        body = MembershipGrantRequest(data=request.data)
        body.is_valid(raise_exception=True)
        user = User.objects.filter(email=normalise_email(body.validated_data["email"])).first()
        if user is None:
            raise ValidationFailed(
                _("Nobody has registered with this email address yet."), details={"email": [_("No such account.")]}
            )
        membership = membership_grant(admin=request.user, user=user, organisation=organisation, role=body.validated_data["role"])
        return Response({"user": user.pk, "role": membership.role, "organisation": organisation.slug}, status=201)


class MembershipRevokeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="Revoke a role (admins only; audited)", request=None, responses={204: None}, tags=["accounts"])
    def delete(self, request, org: str, user_id: int, role: str):
        from accounts.models import User

        organisation = _organisation_for_admin(org, request.user)
        user = User.objects.filter(pk=user_id).first()
        if user is None or not membership_revoke(admin=request.user, user=user, organisation=organisation, role=role):
            raise NotFound()
        return Response(status=204)
