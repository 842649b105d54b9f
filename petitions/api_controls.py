"""API of what administrators and moderators control about signing (petitions.controls and the
one-signature acts of petitions.services): block lists, signing limits, finding and acting on one
signature. docs/API.md#signing-controls."""

from __future__ import annotations

from dataclasses import asdict

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from workflows.errors import PermissionDenied, ValidationFailed

from . import controls, rules, selectors, services
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


# --- one signature: find it, invalidate or restore it (moderators and admins) ---------------------
class FoundSignatureOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(help_text="masked: ส**** ใจดี")
    email = serializers.CharField(help_text="masked: s***@g***.com (empty for a paper line without one)")
    state = serializers.CharField()
    state_label = serializers.CharField()
    village = serializers.IntegerField()
    channel = serializers.CharField()
    created_at = serializers.DateTimeField()
    confirmed_at = serializers.DateTimeField(allow_null=True)
    ended_at = serializers.DateTimeField(allow_null=True)
    can_invalidate = serializers.BooleanField()
    can_restore = serializers.BooleanField()


def _reviewable(pk: int, user):
    from .api import _visible_petition

    petition = _visible_petition(pk, user)
    if not rules.can_review_signatures(petition, user):
        raise PermissionDenied()
    return petition


class SignatureFind(APIView):
    """GET /api/v1/petitions/<id>/signatures/find/?q=<email or part of a name>: at most 50, masked."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Find signatures of a petition by email or name (staff; masked)",
        parameters=[OpenApiParameter("q", str, required=True, description="an email address, or at least 2 letters of a name")],
        responses={
            200: inline_serializer(
                "SignatureFindResult",
                {
                    "petition": serializers.IntegerField(),
                    "results": FoundSignatureOut(many=True),
                    "limited": serializers.BooleanField(),
                },
            ),
            400: OpenApiResponse(description="invalid"),
        },
        tags=["petitions"],
    )
    def get(self, request, pk: int):
        petition = _reviewable(pk, request.user)
        q = str(request.query_params.get("q", ""))
        if len(" ".join(q.split())) < selectors.FIND_MIN or len(q) > 254:
            raise ValidationFailed(details={"q": [_("Enter an email address, or at least 2 letters of a name.")]})
        rows = selectors.signatures_find(petition.pk, q)
        return Response(
            {"petition": petition.pk, "results": [asdict(r) for r in rows], "limited": len(rows) == selectors.FIND_LIMIT}
        )


class SignatureActRequest(serializers.Serializer):
    reason = serializers.CharField(max_length=4000, help_text="required; kept in the audit trail and mailed to the signer")


SIGNATURE_ACT_RESULT = inline_serializer(
    "SignatureActResult",
    {
        "signature": serializers.IntegerField(),
        "state": serializers.CharField(),
        "count_before": serializers.IntegerField(),
        "count_after": serializers.IntegerField(),
        "signatures": serializers.IntegerField(help_text="the petition's confirmed count now"),
    },
)


_ACT_RESPONSES = {
    200: SIGNATURE_ACT_RESULT,
    400: OpenApiResponse(description="invalid (a reason is required)"),
    403: OpenApiResponse(description="forbidden or email_blocked"),
    404: OpenApiResponse(description="not_found"),
    409: OpenApiResponse(
        description="signature_not_active, signature_move_refused, signed_again, household_full or signatures_final"
    ),
}


class _SignatureAct(APIView):
    permission_classes = [IsAuthenticated]

    def act(self, request, pk: int, signature: int, service):
        petition = _reviewable(pk, request.user)
        reason = _body(request).get("reason", "")
        result = service(petition=petition, signature_id=signature, actor=request.user, reason=reason)
        return Response(result | {"signatures": selectors.petition_counts(pk, fresh=True).total})


class SignatureInvalidateOne(_SignatureAct):
    """POST /api/v1/petitions/<id>/signatures/<signature>/invalidate/ {"reason"}."""

    @extend_schema(
        operation_id="petition_signature_invalidate_one", summary="Invalidate one signature (staff; audited)",
        request=SignatureActRequest, responses=_ACT_RESPONSES, tags=["petitions"],
    )  # fmt: skip
    def post(self, request, pk: int, signature: int):
        return self.act(request, pk, signature, services.signature_invalidate_one)


class SignatureRestoreOne(_SignatureAct):
    """POST /api/v1/petitions/<id>/signatures/<signature>/restore/ {"reason"}."""

    @extend_schema(
        operation_id="petition_signature_restore_one", summary="Restore one invalidated signature (staff; audited)",
        request=SignatureActRequest, responses=_ACT_RESPONSES, tags=["petitions"],
    )  # fmt: skip
    def post(self, request, pk: int, signature: int):
        return self.act(request, pk, signature, services.signature_restore_one)
