"""API of paper signatures and of an ordinance initiative's filing (/api/v1/, staff unless said).

GET  POST petitions/<id>/paper-sheets/                       sheets; add one (multipart: number, scan)
GET       petitions/<id>/paper-sheets/<number>/              its lines, readings and differences
POST      petitions/<id>/paper-sheets/<number>/lines/        one line (JSON)
POST      petitions/<id>/paper-sheets/<number>/import/       a CSV of the sheet (multipart: file[, scan])
GET  PUT  petitions/<id>/filing/                              the packet's data; the draft ordinance
POST      petitions/<id>/representatives/                     a representative with their declaration
GET  POST petitions/<id>/objection-notice/                    public: the posted list; staff: post it
GET  POST petitions/<id>/objections/                          staff: the objections; anyone: object
POST      objections/<id>/resolve/                            staff: uphold or dismiss
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from workflows.errors import PermissionDenied

from . import filing, paper, rules
from .api import _body, _visible_petition

TAGS = ["petitions"]


def _staff_petition(pk: int, user):
    petition = _visible_petition(pk, user)
    if not rules.can_enter_paper(petition, user):
        raise PermissionDenied()
    return petition


def _entry_result(name: str):
    return inline_serializer(
        name,
        {
            "sheet": serializers.IntegerField(),
            "lines": serializers.DictField(child=serializers.CharField()),
            "waiting": serializers.IntegerField(),
            "mismatch": serializers.IntegerField(),
            "counted": serializers.IntegerField(),
            "duplicate": serializers.IntegerField(),
            "count_before": serializers.IntegerField(),
            "count_after": serializers.IntegerField(),
        },
    )


ENTRY_RESULT = _entry_result("PaperEntryResult")


def _result(result: dict) -> dict:
    return result | {"lines": {str(k): v for k, v in result["lines"].items()}}


NOT_ORDINANCE = OpenApiResponse(description="not_ordinance: only a local ordinance initiative has a filing")


class SheetSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    scan_url = serializers.CharField()
    lines = serializers.IntegerField()
    counted = serializers.IntegerField()
    waiting = serializers.IntegerField()
    mismatch = serializers.IntegerField()
    duplicate = serializers.IntegerField()
    created_at = serializers.DateTimeField()


def _sheet_row(row: dict) -> dict:
    sheet = row["sheet"]
    return {
        "number": sheet.number, "scan_url": sheet.scan.url, "created_at": sheet.created_at,
        **{k: row[k] for k in ("lines", "counted", "waiting", "mismatch", "duplicate")},
    }  # fmt: skip


class SheetCreateRequest(serializers.Serializer):
    number = serializers.IntegerField(min_value=1, max_value=100000)
    scan = serializers.FileField()


class PaperSheetList(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: SheetSerializer(many=True)}, tags=TAGS)
    def get(self, request, pk: int):
        petition = _staff_petition(pk, request.user)
        return Response([_sheet_row(r) for r in paper.sheets_for(petition)])

    @extend_schema(request={"multipart/form-data": SheetCreateRequest}, responses={201: SheetSerializer}, tags=TAGS)
    def post(self, request, pk: int):
        petition = _staff_petition(pk, request.user)
        body = SheetCreateRequest(data=_body(request))
        body.is_valid(raise_exception=True)
        sheet = paper.paper_sheet_add(petition=petition, actor=request.user, **body.validated_data)
        row = next(r for r in paper.sheets_for(petition) if r["sheet"].pk == sheet.pk)
        return Response(_sheet_row(row), status=201)


READING = {
    "entered_by": serializers.CharField(),
    "name": serializers.CharField(),
    "village_number": serializers.IntegerField(),
    "national_id_last4": serializers.CharField(),
    "signed_on": serializers.DateField(),
    "entered_at": serializers.DateTimeField(),
}
LINE = inline_serializer(
    "PaperLine",
    {
        "line": serializers.IntegerField(),
        "status": serializers.CharField(),
        "note": serializers.CharField(),
        "differs": serializers.ListField(child=serializers.CharField()),
        "entries": inline_serializer("PaperReading", READING, many=True),
    },
    many=True,
)


class PaperSheetDetail(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(operation_id="v1_petitions_paper_sheets_retrieve", responses={200: LINE}, tags=TAGS)
    def get(self, request, pk: int, number: int):
        petition = _staff_petition(pk, request.user)
        sheet = paper.paper_sheet_get(petition=petition, number=number)
        return Response(
            [
                {
                    **{k: line[k] for k in ("line", "status", "note", "differs")},
                    "entries": [
                        {
                            "entered_by": e.entered_by.full_name or e.entered_by.email,
                            "name": e.name,
                            "village_number": e.village_number,
                            "national_id_last4": e.national_id_last4,
                            "signed_on": e.signed_on,
                            "entered_at": e.entered_at,
                        }  # fmt: skip
                        for e in line["entries"]
                    ],
                }
                for line in paper.sheet_lines(sheet)
            ]
        )


class LineRequest(serializers.Serializer):
    line = serializers.IntegerField()
    name = serializers.CharField(max_length=200)
    village = serializers.IntegerField()
    national_id = serializers.CharField(required=False, allow_blank=True, default="")
    email = serializers.CharField(required=False, allow_blank=True, default="")
    signed_on = serializers.CharField(help_text="YYYY-MM-DD, the year in the Buddhist or the Common Era")


class PaperLineCreate(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=LineRequest, responses={201: ENTRY_RESULT}, tags=TAGS)
    def post(self, request, pk: int, number: int):
        petition = _staff_petition(pk, request.user)
        data = _body(request)
        fields = {k: data.get(k) for k in ("line", "name", "village", "national_id", "email", "signed_on")}
        result = paper.paper_entry_record(petition=petition, actor=request.user, sheet_number=number, **fields)
        return Response(_result(result), status=201)


class ImportRequest(serializers.Serializer):
    file = serializers.FileField(help_text="CSV: line, name, village, national_id, email, signed_on")
    scan = serializers.FileField(required=False, help_text="the scanned sheet, when the sheet is new")


class PaperSheetImport(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request={"multipart/form-data": ImportRequest}, responses={201: ENTRY_RESULT}, tags=TAGS)
    def post(self, request, pk: int, number: int):
        petition = _staff_petition(pk, request.user)
        body = ImportRequest(data=_body(request))
        body.is_valid(raise_exception=True)
        result = paper.paper_sheet_import(
            petition=petition, actor=request.user, sheet_number=number, file=body.validated_data["file"],
            scan=body.validated_data.get("scan"),
        )  # fmt: skip
        return Response(_result(result), status=201)


# --- the filing --------------------------------------------------------------------------------------
SIGNER = {
    "entry": serializers.IntegerField(),
    "name": serializers.CharField(),
    "village": serializers.CharField(),
    "masked_id": serializers.CharField(),
    "channel": serializers.CharField(),
    "channel_label": serializers.CharField(),
    "signed_on": serializers.DateField(),
}
FILING = inline_serializer(
    "Filing",
    {
        "draft_ordinance": serializers.CharField(),
        "collection_regulation": serializers.CharField(),
        "representatives": inline_serializer(
            "Representative",
            {"id": serializers.IntegerField(), "name": serializers.CharField(), "village_number": serializers.IntegerField(),
             "declaration": serializers.CharField(), "declared_on": serializers.DateField()},
            many=True,
        ),
        "signers": inline_serializer("FilingSigner", SIGNER, many=True),
        "totals": serializers.DictField(child=serializers.IntegerField()),
    },
)  # fmt: skip


def _representative(r) -> dict:
    return {"id": r.pk, "name": r.name, "village_number": r.village_number, "declaration": r.declaration,
            "declared_on": r.declared_on}  # fmt: skip


class DraftRequest(serializers.Serializer):
    draft_ordinance = serializers.CharField(max_length=50000)
    collection_regulation = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class FilingView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: FILING, 409: NOT_ORDINANCE}, tags=TAGS)
    def get(self, request, pk: int):
        petition = _staff_petition(pk, request.user)
        f = filing.filing(petition)
        return Response(
            {
                "draft_ordinance": petition.draft_ordinance, "collection_regulation": petition.collection_regulation,
                "representatives": [_representative(r) for r in f.representatives], "totals": f.totals,
                "signers": [{k: s[k] for k in SIGNER} for s in f.signers],
            }
        )  # fmt: skip

    @extend_schema(request=DraftRequest, responses={200: DraftRequest}, tags=TAGS)
    def put(self, request, pk: int):
        petition = _visible_petition(pk, request.user)
        data = _body(request)
        petition = filing.ordinance_details_set(
            petition=petition, actor=request.user, draft_ordinance=data.get("draft_ordinance"),
            collection_regulation=data.get("collection_regulation"),
        )  # fmt: skip
        return Response({"draft_ordinance": petition.draft_ordinance, "collection_regulation": petition.collection_regulation})


class RepresentativeRequest(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    village_number = serializers.IntegerField()
    address = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    declaration = serializers.CharField(max_length=5000)
    declared_on = serializers.DateField()


class RepresentativeCreate(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=RepresentativeRequest,
        responses={201: inline_serializer("RepresentativeCreated", {"id": serializers.IntegerField()})},
        tags=TAGS,
    )
    def post(self, request, pk: int):
        petition = _staff_petition(pk, request.user)
        data = _body(request)
        fields = {k: data.get(k) for k in ("name", "village_number", "address", "declaration", "declared_on")}
        rep = filing.representative_add(petition=petition, actor=request.user, **fields)
        return Response({"id": rep.pk}, status=201)


NOTICE = inline_serializer(
    "ObjectionNotice",
    {
        "posted": serializers.BooleanField(),
        "opens_at": serializers.DateTimeField(allow_null=True),
        "closes_at": serializers.DateTimeField(allow_null=True),
        "entries": inline_serializer(
            "NoticeEntry", {"entry": serializers.IntegerField(), "name": serializers.CharField(),
                            "village": serializers.CharField()}, many=True,
        ),
    },
)  # fmt: skip


def _notice(petition) -> dict:
    running = filing.notice_running(petition)
    return {
        "posted": running, "opens_at": petition.objection_opens_at, "closes_at": petition.objection_closes_at,
        "entries": filing.notice_entries(petition) if running else [],
    }  # fmt: skip


class ObjectionNoticeView(APIView):
    """GET (public): the posted list, names and villages only, while the notice runs. POST (staff): post it."""

    permission_classes = [AllowAny]

    @extend_schema(responses={200: NOTICE, 409: NOT_ORDINANCE}, tags=TAGS)
    def get(self, request, pk: int):
        return Response(_notice(_visible_petition(pk, request.user)))

    @extend_schema(request=None, responses={201: NOTICE}, tags=TAGS)
    def post(self, request, pk: int):
        petition = filing.objection_notice_post(petition=_visible_petition(pk, request.user), actor=request.user)
        return Response(_notice(petition), status=201)


class ObjectionRequest(serializers.Serializer):
    entry = serializers.IntegerField()
    objector_name = serializers.CharField(max_length=200)
    contact = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    reason = serializers.CharField(max_length=5000)


OBJECTION = inline_serializer(
    "Objection",
    {"id": serializers.IntegerField(), "entry": serializers.IntegerField(), "state": serializers.CharField(),
     "reason": serializers.CharField(), "resolution": serializers.CharField(), "created_at": serializers.DateTimeField()},
)  # fmt: skip


def _objection(o) -> dict:
    return {"id": o.pk, "entry": o.signature_id, "state": o.state, "reason": o.reason, "resolution": o.resolution,
            "created_at": o.created_at}  # fmt: skip


class ObjectionList(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        responses={200: inline_serializer("ObjectionList", {"objections": OBJECTION}, many=True), 409: NOT_ORDINANCE}, tags=TAGS
    )
    def get(self, request, pk: int):
        petition = _staff_petition(pk, request.user)
        return Response([_objection(o) for o in filing.objections_for(petition)])

    @extend_schema(request=ObjectionRequest, responses={201: OBJECTION}, tags=TAGS)
    def post(self, request, pk: int):
        petition = _visible_petition(pk, request.user)
        data = _body(request)
        objection = filing.objection_file(
            petition=petition, entry=data.get("entry"), objector_name=data.get("objector_name"),
            reason=data.get("reason"), contact=data.get("contact"), ip=request.META.get("REMOTE_ADDR", "") or "",
        )  # fmt: skip
        return Response(_objection(objection), status=201)


class ResolveRequest(serializers.Serializer):
    uphold = serializers.BooleanField(help_text="true: remove the entry; false: it stands")
    reason = serializers.CharField(max_length=5000)


class ObjectionResolve(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=ResolveRequest, responses={200: OBJECTION}, tags=TAGS)
    def post(self, request, pk: int):
        body = ResolveRequest(data=_body(request))
        body.is_valid(raise_exception=True)
        objection = filing.objection_resolve(objection_id=pk, actor=request.user, **body.validated_data)
        return Response(_objection(objection))
