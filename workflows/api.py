"""The engine's API: the generic transition endpoints every workflow record shares.

GET  /api/v1/<records>/<id>/transitions/          the moves this user may make now
POST /api/v1/<records>/<id>/transitions/<name>/   {"reason": "...", "payload": {...}}
"""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from . import registry
from .errors import NotFound, PermissionDenied
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
        from .models import AuditEntry

        last = (
            AuditEntry.objects.filter(record_type=machine.label, record_id=str(record.pk))
            .order_by("-id")
            .values_list("id", flat=True)
            .first()
        )
        return Response({"state": _state_of(machine, updated), "audit_id": last})
