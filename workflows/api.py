"""The engine's API: the generic transition endpoints every workflow record shares.

GET  /api/v1/<records>/<id>/transitions/          the moves this user may make now
POST /api/v1/<records>/<id>/transitions/<name>/   {"reason": "...", "payload": {...}}
"""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from . import registry
from .errors import NotFound, PermissionDenied
from .models import AuditEntry
from .selectors import actor_display, audit_entries, audit_verify
from .services import available_transitions, transition


class TransitionRequest(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=4000, default="")
    payload = serializers.DictField(required=False, default=dict)
    expected_version = serializers.IntegerField(required=False, min_value=0)
    expected_state = serializers.CharField(required=False, max_length=50)


class AvailableTransition(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    field = serializers.CharField()
    source = serializers.CharField()
    target = serializers.CharField()
    reason_required = serializers.BooleanField()


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
        )
        return Response({"state": _state_of(machine, updated), "audit_id": updated.last_audit_entry.pk})


# --- The public audit trail ----------------------------------------------------------------


class AuditEntrySerializer(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()

    class Meta:
        model = AuditEntry
        fields = [
            "id", "organisation", "record_type", "record_id", "action", "name", "actor", "actor_role",
            "created_at", "from_state", "to_state", "reason", "payload_digest", "prev_hash", "hash",
        ]  # fmt: skip

    @extend_schema_field(
        inline_serializer(
            "AuditActor",
            {"role": serializers.CharField(), "role_label": serializers.CharField(), "name": serializers.CharField()},
        )
    )
    def get_actor(self, entry) -> dict:
        return actor_display(entry)


class AuditListView(ListAPIView):
    """The public audit trail, newest first. Filter with ?record_type=&record_id=&organisation= (id or slug)."""

    permission_classes = [AllowAny]
    serializer_class = AuditEntrySerializer
    # the default pagination: config.api.CursorPagination, newest (highest id) first
    filter_backends: list = []

    @extend_schema(
        summary="The public audit trail (hash-chained)",
        parameters=[
            OpenApiParameter("record_type", str, description="app_label.model, e.g. petitions.petition"),
            OpenApiParameter("record_id", str),
            OpenApiParameter("organisation", str, description="organisation id or slug"),
        ],
        tags=["audit"],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        q = self.request.query_params
        return audit_entries(
            record_type=q.get("record_type", "")[:100],
            record_id=q.get("record_id", "")[:64],
            organisation=q.get("organisation", "")[:50] or None,
        )


class AuditVerifyView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Recompute the audit chain and report OK or the first broken entry",
        responses={
            200: inline_serializer(
                "AuditVerify",
                {
                    "ok": serializers.BooleanField(),
                    "entries": serializers.IntegerField(),
                    "first_broken": serializers.DictField(required=False),
                    "problem": serializers.CharField(required=False),
                    "code": serializers.CharField(required=False),
                },
            )
        },  # fmt: skip
        tags=["audit"],
    )
    def get(self, request):
        return Response(audit_verify().as_dict())
