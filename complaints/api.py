"""/api/v1/complaints/: file a complaint (with or without an account), follow it by its tracking
code, the staff's list, the categories, and the public statistics (JSON and CSV).

Moves use the engine's generic endpoint /api/v1/complaints/<id>/transitions/<name>/ (assign takes
{"payload": {"division": <id>}}; resolve and reject take a "reason", which the filer is shown).
"""

from __future__ import annotations

from django.http import Http404
from django.utils import translation
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Organisation
from accounts.selectors import default_organisation
from workflows.errors import NotFound, ValidationFailed
from workflows.exports import csv_response
from workflows.paging import listed, paged, paged_response
from workflows.parsers import WholeNumberField

from . import selectors, services
from .models import Complaint, State


def organisation_from(request, slug: str = "") -> Organisation:
    slug = str(slug or request.GET.get("organisation", ""))[:50]
    organisation = Organisation.objects.filter(slug=slug).first() if slug else default_organisation()
    if organisation is None:
        raise NotFound(_("Unknown organisation."))
    return organisation


def _language() -> str:
    return (translation.get_language() or "th")[:2]


class CategoryOut(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    name_en = serializers.CharField()
    sla_days = serializers.IntegerField()


class ComplaintOut(serializers.ModelSerializer):
    """The full record: staff of the organisation and the filer only."""

    category = serializers.SlugRelatedField(slug_field="code", read_only=True)
    division = serializers.StringRelatedField(allow_null=True)  # not yet assigned: null (the schema must say so)
    village = serializers.StringRelatedField(allow_null=True)
    state = serializers.ChoiceField(choices=State.choices)
    has_photo = serializers.SerializerMethodField()
    tracking_url = serializers.CharField()

    class Meta:
        model = Complaint
        fields = [
            "id", "tracking_code", "tracking_url", "state", "version", "category", "village", "title", "body",
            "location_text", "latitude", "longitude", "has_photo", "filer_name", "filer_email", "filer_phone",
            "division", "due_at", "created_at", "assigned_at", "started_at", "closed_at", "resolution", "rejection_reason",
        ]  # fmt: skip

    def get_has_photo(self, c) -> bool:
        return bool(c.photo)


class ComplaintIn(serializers.Serializer):
    organisation = serializers.SlugField(required=False)
    category = serializers.IntegerField(help_text="id from /api/v1/complaints/categories/")
    village = WholeNumberField(required=False, allow_null=True, help_text="village id, a whole number")
    title = serializers.CharField(max_length=200)
    body = serializers.CharField(max_length=5000)
    location_text = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    latitude = serializers.CharField(max_length=30, required=False, allow_blank=True, allow_null=True, help_text="-90…90")
    longitude = serializers.CharField(max_length=30, required=False, allow_blank=True, allow_null=True, help_text="-180…180")
    photo = serializers.FileField(required=False, allow_null=True, help_text="JPEG, PNG or WebP, at most 5 MB")
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")


FiledOut = inline_serializer(
    "ComplaintFiled",
    {
        "id": serializers.IntegerField(),
        "tracking_code": serializers.CharField(),
        "tracking_url": serializers.CharField(),
        "state": serializers.CharField(),
        "due_at": serializers.DateTimeField(),
    },
)


class StepOut(serializers.Serializer):
    state = serializers.CharField()
    label = serializers.CharField()
    at = serializers.DateTimeField()
    note = serializers.CharField()


TrackingOut = inline_serializer(
    "ComplaintTracking",
    {
        "tracking_code": serializers.CharField(),
        "organisation": serializers.CharField(),
        "category": serializers.CharField(),
        "village": serializers.CharField(),
        "title": serializers.CharField(),
        "state": serializers.CharField(),
        "state_label": serializers.CharField(),
        "open": serializers.BooleanField(),
        "due_at": serializers.DateTimeField(),
        "overdue": serializers.BooleanField(),
        "division": serializers.CharField(),
        "steps": StepOut(many=True),
    },
)


class CategoryList(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Complaint categories with their service levels",
        parameters=[OpenApiParameter("organisation", str, description="organisation slug (default: the first)")],
        responses=listed("Category", CategoryOut),
        tags=["complaints"],
    )
    def get(self, request):
        return Response({"results": CategoryOut(selectors.categories_for(organisation_from(request)), many=True).data})


class ComplaintList(APIView):
    permission_classes = [AllowAny]  # filing needs no account; the list needs one
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(
        summary="Complaints: every one of your organisations (staff) or your own",
        parameters=[OpenApiParameter("state", str, description="a state, or 'open'")],
        responses=paged("Complaint", ComplaintOut),
        operation_id="v1_complaints_list",
        tags=["complaints"],
    )
    def get(self, request):
        if not request.user.is_authenticated:
            raise exceptions.NotAuthenticated()
        q = request.query_params
        qs = selectors.complaints_for(
            request.user, state=q.get("state", ""), category=q.get("category", ""), division=q.get("division", "")
        )
        return paged_response(request, self, qs, ComplaintOut)

    @extend_schema(
        summary="File a complaint or request (no account needed)",
        request={"multipart/form-data": ComplaintIn, "application/json": ComplaintIn},
        responses={201: FiledOut},
        tags=["complaints"],
    )
    def post(self, request):
        body = ComplaintIn(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        organisation = organisation_from(request, data.pop("organisation", ""))
        c = services.complaint_file(
            organisation=organisation, actor=request.user, language=_language(),
            client_ip=request.META.get("REMOTE_ADDR", ""), **data,
        )  # fmt: skip
        return Response(
            {"id": c.pk, "tracking_code": c.tracking_code, "tracking_url": c.tracking_url(), "state": c.state,
             "due_at": c.due_at},
            status=201,
        )  # fmt: skip


class ComplaintDetail(APIView):
    permission_classes = [AllowAny]

    @extend_schema(summary="One complaint (staff and its filer)", responses=ComplaintOut, tags=["complaints"])
    def get(self, request, pk: int):
        return Response(ComplaintOut(selectors.complaint_get(pk, request.user)).data)


class TrackView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(summary="A complaint's progress by its tracking code (no account)", responses=TrackingOut, tags=["complaints"])
    def get(self, request, code: str):
        c = selectors.complaint_by_code(code)
        if c is None:
            raise NotFound(_("No complaint has this tracking code."))
        return Response(selectors.tracking(c, _language()))


def _year(request) -> int | None:
    raw = request.GET.get("fiscal_year", "")
    if not raw:
        return None
    if not raw.isdigit() or not 2400 <= int(raw) <= 2800:
        raise ValidationFailed(details={"fiscal_year": [_("A Buddhist-Era fiscal year, e.g. 2568.")]})
    return int(raw)


Bucket = {
    "received": serializers.IntegerField(),
    "open": serializers.IntegerField(),
    "resolved": serializers.IntegerField(),
    "rejected": serializers.IntegerField(),
    "on_time": serializers.IntegerField(),
    "median_days": serializers.FloatField(allow_null=True),
    "on_time_percent": serializers.IntegerField(allow_null=True),
}


class StatisticsView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Public, anonymised complaint statistics (by category, village, fiscal year)",
        parameters=[
            OpenApiParameter("organisation", str, description="organisation slug (default: the first)"),
            OpenApiParameter("fiscal_year", int, description="Buddhist-Era fiscal year (1 October – 30 September)"),
        ],
        responses=inline_serializer(
            "ComplaintStatistics",
            {
                "organisation": serializers.CharField(),
                "fiscal_year": serializers.IntegerField(allow_null=True),
                "generated_at": serializers.DateTimeField(),
                "total": inline_serializer("ComplaintBucket", Bucket),
                "by_category": serializers.ListField(child=serializers.DictField()),
                "by_village": serializers.ListField(child=serializers.DictField()),
                "by_fiscal_year": serializers.ListField(child=serializers.DictField()),
            },
        ),
        tags=["complaints"],
    )
    def get(self, request):
        return Response(selectors.statistics_for(organisation_from(request), year=_year(request), language=_language()))


def statistics_csv(request):
    """/api/v1/complaints/statistics.csv (a plain view: DRF's ?format= belongs to its renderers)."""
    try:
        organisation, year = organisation_from(request), _year(request)
    except (NotFound, ValidationFailed):
        raise Http404 from None
    stats = selectors.statistics_for(organisation, year=year, language=_language())
    suffix = f"-{year}" if year else ""
    return csv_response(selectors.statistics_rows(stats), filename=f"complaints-{organisation.slug}{suffix}.csv")
