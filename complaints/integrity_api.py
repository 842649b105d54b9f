"""/api/v1/integrity-reports/: make a report (no account needed), see its state by reference,
the yearly counts (public), and, for the integrity role only, the reports themselves. Anyone else
gets 404 for a report and 403 for the list, never a hint of what a report says.

Moves: the engine's /api/v1/integrity-reports/<id>/transitions/<name>/ (investigate; complete
with {"reason": "…", "payload": {"outcome": "substantiated|unsubstantiated|referred|not_admissible"}}).
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from workflows.errors import NotFound, PermissionDenied
from workflows.exports import csv_response
from workflows.paging import paged, paged_response

from . import integrity
from .api import organisation_from
from .models import IntegrityKind, IntegrityReport


class IntegrityReportIn(serializers.Serializer):
    organisation = serializers.SlugField(required=False)
    kind = serializers.ChoiceField(choices=IntegrityKind.choices)
    subject = serializers.CharField(max_length=200)
    body = serializers.CharField(max_length=5000)
    involved = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    when_text = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    where_text = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")


class IntegrityReportOut(serializers.ModelSerializer):
    """Integrity officers only. The reporter is never part of it."""

    class Meta:
        model = IntegrityReport
        fields = [
            "id", "reference", "kind", "subject", "body", "involved", "when_text", "where_text", "state", "outcome",
            "version", "created_at", "investigating_at", "completed_at",
        ]  # fmt: skip


TrackOut = inline_serializer(
    "IntegrityTracking",
    {
        "reference": serializers.CharField(),
        "state": serializers.CharField(),
        "state_label": serializers.CharField(),
        "received_at": serializers.DateTimeField(),
        "investigating_at": serializers.DateTimeField(allow_null=True),
        "completed_at": serializers.DateTimeField(allow_null=True),
    },
)


class ReportList(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Integrity reports (the integrity role only)",
        responses=paged("IntegrityReport", IntegrityReportOut),
        operation_id="v1_integrity_reports_list",
        tags=["integrity"],
    )
    def get(self, request):
        if not request.user.is_authenticated:
            raise exceptions.NotAuthenticated()
        from accounts.models import Membership, Role

        if not Membership.objects.filter(user=request.user, role=Role.INTEGRITY).exists():
            raise PermissionDenied()
        reports = integrity.reports_for(request.user, state=request.GET.get("state", ""))
        return paged_response(request, self, reports, IntegrityReportOut)

    @extend_schema(
        summary="Make a corruption or misconduct report (anonymous allowed)",
        request=IntegrityReportIn,
        responses={
            201: inline_serializer(
                "IntegrityFiled", {"reference": serializers.CharField(), "tracking_url": serializers.CharField()}
            )
        },
        tags=["integrity"],
    )
    def post(self, request):
        body = IntegrityReportIn(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        organisation = organisation_from(request, data.pop("organisation", ""))
        report = integrity.report_file(
            organisation=organisation, actor=request.user, client_ip=request.META.get("REMOTE_ADDR", ""), **data
        )
        return Response({"reference": report.reference, "tracking_url": report.tracking_url()}, status=201)


class ReportDetail(APIView):
    permission_classes = [AllowAny]

    @extend_schema(summary="One integrity report (the integrity role only)", responses=IntegrityReportOut, tags=["integrity"])
    def get(self, request, pk: int):
        return Response(IntegrityReportOut(integrity.report_get(pk, request.user)).data)


class TrackView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(summary="A report's state by its reference (nothing of its content)", responses=TrackOut, tags=["integrity"])
    def get(self, request, code: str):
        report = integrity.report_by_reference(code)
        if report is None:
            raise NotFound()
        return Response(integrity.tracking(report))


class StatisticsView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Integrity reports received, in progress and completed per Thai fiscal year",
        responses=inline_serializer(
            "IntegrityStatistics",
            {"organisation": serializers.CharField(), "by_fiscal_year": serializers.ListField(child=serializers.DictField())},
        ),
        tags=["integrity"],
    )
    def get(self, request):
        return Response(integrity.statistics(organisation_from(request)))


def statistics_csv(request):
    from django.http import Http404

    try:
        organisation = organisation_from(request)
    except NotFound:
        raise Http404 from None
    return csv_response(
        integrity.statistics_rows(integrity.statistics(organisation)), filename=f"integrity-{organisation.slug}.csv"
    )
