"""API of what administrators and moderators control about signing (petitions.controls and the
one-signature acts of petitions.services): block lists, signing limits, finding and acting on one
signature. docs/API.md#signing-controls."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from workflows.errors import ValidationFailed

from . import controls
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
