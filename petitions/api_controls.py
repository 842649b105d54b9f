"""API of what administrators and moderators control about signing (petitions.controls and the
one-signature acts of petitions.services): block lists, signing limits, finding and acting on one
signature. docs/API.md#signing-controls."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from workflows.errors import ValidationFailed

from . import controls, services
from .models import SigningBlock


def _body(request) -> dict:
    data = request.data
    if not hasattr(data, "get"):
        raise ValidationFailed(code="malformed_request")
    return data


class SigningBlockOut(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    kind = serializers.ChoiceField(choices=SigningBlock.Kind.choices)
    value = serializers.CharField(help_text="the folded address, or the domain (it covers its subdomains)")
    note = serializers.CharField()
    created_at = serializers.DateTimeField()


class SigningBlockRequest(serializers.Serializer):
    value = serializers.CharField(max_length=300, help_text="an email address, or a domain (example.com or @example.com)")
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class SigningBlockList(APIView):
    """GET the organisation's blocks; POST {"value", "note"} to add one (admins only; audited)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Email domains and addresses blocked from signing (admins only)",
        responses={200: SigningBlockOut(many=True), 403: OpenApiResponse(description="forbidden")},
        tags=["petitions"],
    )
    def get(self, request, org: str):
        organisation = controls.organisation_for_admin(org, request.user)
        return Response(SigningBlockOut(controls.blocks_of(organisation), many=True).data)

    @extend_schema(
        summary="Block an email domain or address from signing (admins only; audited)",
        request=SigningBlockRequest,
        responses={
            201: SigningBlockOut,
            400: OpenApiResponse(description="invalid"),
            409: OpenApiResponse(description="block_exists"),
        },
        tags=["petitions"],
    )
    def post(self, request, org: str):
        organisation = controls.organisation_for_admin(org, request.user)
        body = SigningBlockRequest(data=_body(request))
        body.is_valid(raise_exception=True)
        block = controls.signing_block_add(organisation=organisation, actor=request.user, **body.validated_data)
        return Response(SigningBlockOut(block).data, status=201)


class SigningBlockDetail(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Lift a block (admins only; audited)",
        request=None,
        responses={204: None, 404: OpenApiResponse(description="not_found")},
        tags=["petitions"],
    )
    def delete(self, request, org: str, pk: int):
        organisation = controls.organisation_for_admin(org, request.user)
        reason = request.query_params.get("reason", "")
        controls.signing_block_remove(organisation=organisation, actor=request.user, block_id=pk, reason=reason)
        return Response(status=204)


# --- signing limits ------------------------------------------------------------------------------
def _limit_fields(help_text: str):
    return {name: serializers.IntegerField(help_text=help_text) for name in controls.SIGNING_LIMIT_FIELDS}


SIGNING_LIMITS = inline_serializer(
    "SigningLimits",
    {
        "organisation": serializers.CharField(),
        "limits": inline_serializer("SigningLimitValues", _limit_fields("the value in force")),
        "floors": serializers.DictField(
            child=serializers.IntegerField(), help_text="the lowest each refusing limit may be, for its window now"
        ),
        "windows": serializers.DictField(child=serializers.DictField(), help_text="each window's min and max seconds"),
    },
)


class SigningLimitsRequest(serializers.Serializer):
    """Documents the body (any of the limits, and a reason); the service checks the values."""

    burst_limit = serializers.IntegerField(required=False)
    burst_window_seconds = serializers.IntegerField(required=False)
    ip_limit = serializers.IntegerField(required=False)
    ip_window_seconds = serializers.IntegerField(required=False)
    ip_review_limit = serializers.IntegerField(required=False)
    petition_limit = serializers.IntegerField(required=False)
    petition_window_seconds = serializers.IntegerField(required=False)
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, help_text="kept in the audit trail")


def _limits_answer(organisation) -> dict:
    from .models import PetitionPolicy

    return {"organisation": organisation.slug, **controls.signing_limits(PetitionPolicy.for_organisation(organisation.pk))}


class SigningLimitsView(APIView):
    """GET the organisation's signing limits with their floors; PATCH some of them (admins only;
    audited with before and after). A limit below its floor: 400 limit_below_floor."""

    permission_classes = [IsAuthenticated]

    @extend_schema(summary="Signing limits and their floors (admins only)", responses={200: SIGNING_LIMITS}, tags=["petitions"])
    def get(self, request, org: str):
        organisation = controls.organisation_for_admin(org, request.user)
        return Response(_limits_answer(organisation))

    @extend_schema(
        summary="Change signing limits (admins only; audited; never below the floors)",
        request=SigningLimitsRequest,
        responses={200: SIGNING_LIMITS, 400: OpenApiResponse(description="invalid or limit_below_floor")},
        tags=["petitions"],
    )
    def patch(self, request, org: str):
        organisation = controls.organisation_for_admin(org, request.user)
        data = dict(_body(request).items())
        reason = data.pop("reason", "")
        services.signing_limits_set(organisation=organisation, actor=request.user, values=data, reason=reason)
        return Response(_limits_answer(organisation))
