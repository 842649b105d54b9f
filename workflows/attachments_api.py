"""Files on workflow records, in the API (workflows.attachments does the work).

GET    /api/v1/<records>/<id>/attachments/              the files you may see on the record
POST   /api/v1/<records>/<id>/attachments/              multipart/form-data: file, part, alt_text, title
DELETE /api/v1/<records>/<id>/attachments/<file id>/    remove one
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from .api import _record
from .attachments import attachment_add, attachment_get, attachment_remove, attachments_for
from .errors import NotFound, PayloadTooLarge, PermissionDenied
from .files import IMAGE, PDF, max_bytes
from .parsers import MultiPartParser


class AttachmentOut(serializers.Serializer):
    id = serializers.IntegerField()
    part = serializers.CharField(help_text='"" for the record itself, "decision", "progress:<id>"')
    kind = serializers.ChoiceField(choices=[PDF, IMAGE])
    title = serializers.CharField()
    alt_text = serializers.CharField(help_text="images: what the picture shows")
    content_type = serializers.CharField()
    size = serializers.IntegerField(help_text="bytes")
    sha256 = serializers.CharField()
    created_at = serializers.DateTimeField()
    url = serializers.CharField()
    thumbnail_url = serializers.CharField(allow_null=True)


def attachment_data(a, request=None) -> dict:
    """One file as the API shows it (also inside a record's own representation)."""
    url = reverse("attachment", args=[a.pk])
    thumb = reverse("attachment-thumbnail", args=[a.pk]) if a.thumbnail else None
    if request is not None:
        url = request.build_absolute_uri(url)
        thumb = request.build_absolute_uri(thumb) if thumb else None
    return {
        "id": a.pk, "part": a.part, "kind": a.kind, "title": a.title, "alt_text": a.alt_text,
        "content_type": a.content_type, "size": a.size, "sha256": a.sha256, "created_at": a.created_at,
        "url": url, "thumbnail_url": thumb,
    }  # fmt: skip


class WithAttachments(serializers.Serializer):
    """Mixin for a record's own serializer: its files as the reader may see them (context "request";
    add "attachments" to Meta.fields of a ModelSerializer)."""

    attachments = serializers.SerializerMethodField()

    @extend_schema_field(AttachmentOut(many=True))
    def get_attachments(self, record) -> list[dict]:
        request = self.context.get("request")
        user = getattr(request, "user", None)
        return [attachment_data(a, request) for a in attachments_for(record, user)]


class AttachmentIn(serializers.Serializer):
    file = serializers.FileField(
        help_text="a PDF (at most ATTACHMENT_PDF_MAX_BYTES, 10 MB) or a JPEG, PNG or WebP image (5 MB), recognised by its content"
    )
    part = serializers.CharField(required=False, allow_blank=True, max_length=40, default="")
    alt_text = serializers.CharField(
        required=False, allow_blank=True, max_length=500, default="", help_text="required for an image"
    )
    title = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")


class AttachmentListView(APIView):
    permission_classes = [AllowAny]  # the record's own rules decide; anonymous writes answer 401
    parser_classes = [MultiPartParser]

    @extend_schema(
        summary="The files attached to a workflow record (and its decision, progress updates)",
        responses=AttachmentOut(many=True),
        tags=["workflow"],
    )
    def get(self, request, records: str, pk: int):
        _machine, record = _record(records, pk, request.user)
        return Response([attachment_data(a, request) for a in attachments_for(record, request.user)])

    @extend_schema(
        summary="Attach a PDF document or an image to a workflow record",
        request={"multipart/form-data": AttachmentIn},
        responses={201: AttachmentOut, 400: OpenApiResponse(description="invalid: not a PDF or image, too large, no alt text")},
        tags=["workflow"],
    )
    def post(self, request, records: str, pk: int):
        _machine, record = _record(records, pk, request.user)
        if not request.user.is_authenticated:
            raise PermissionDenied(_("Sign in to do this."), code="not_authenticated")
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = max(max_bytes(PDF), max_bytes(IMAGE)) + 64 * 1024  # the file and its form fields
        if length > limit:
            raise PayloadTooLarge(details={"max_bytes": limit})
        body = AttachmentIn(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        a = attachment_add(
            record=record, actor=request.user, upload=data["file"], part=data["part"], alt_text=data["alt_text"],
            title=data["title"],
        )  # fmt: skip
        return Response(attachment_data(a, request), status=201)


class AttachmentDetailView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(summary="Remove a file from a workflow record", responses={204: None}, tags=["workflow"])
    def delete(self, request, records: str, pk: int, file_id: int):
        _machine, record = _record(records, pk, request.user)
        a = attachment_get(file_id, request.user)
        if (a.record_type, a.record_id) != (record._meta.label_lower, str(record.pk)):
            raise NotFound()
        attachment_remove(attachment=a, actor=request.user)
        return Response(status=204)
