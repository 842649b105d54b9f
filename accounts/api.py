"""/api/v1/me/: who am I and my roles per organisation (tokens: config/auth_api.py, /api/v1/auth/token/);
/api/v1/privacy/notices/: the PDPA notices."""

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from workflows.errors import NotFound

from .models import Membership
from .privacy.notices import KINDS, notice
from .privacy.services import personal_data_export


class MembershipOut(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    name = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField())


class MeOut(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    full_name = serializers.CharField()
    language = serializers.CharField()
    email_confirmed = serializers.BooleanField()
    village = serializers.DictField(allow_null=True)
    organisations = MembershipOut(many=True)


def me_payload(user) -> dict:
    orgs: dict[int, dict] = {}
    for m in Membership.objects.filter(user=user).select_related("organisation").order_by("organisation_id", "role"):
        entry = orgs.setdefault(
            m.organisation_id, {"id": m.organisation_id, "slug": m.organisation.slug, "name": m.organisation.name, "roles": []}
        )
        entry["roles"].append(m.role)
    village = user.village
    return {
        "id": user.pk,
        "email": user.email,
        "full_name": user.full_name,
        "language": user.language,
        "email_confirmed": user.email_confirmed,
        "village": {"id": village.pk, "number": village.number, "name": village.name, "organisation": village.organisation_id}
        if village
        else None,
        "organisations": list(orgs.values()),
    }


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="Who am I: my account and my roles per organisation", responses={200: MeOut}, tags=["accounts"])
    def get(self, request):
        return Response(me_payload(request.user))


class MeDataView(APIView):
    """Everything held about me (PDPA): the same JSON as the privacy page's download
    (accounts.privacy.services.personal_data_export)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(summary="My personal data: everything held about me", responses={200: OpenApiTypes.OBJECT}, tags=["accounts"])
    def get(self, request):
        response = Response(personal_data_export(user=request.user))
        response["Cache-Control"] = "no-store"
        return response


class NoticeOut(serializers.Serializer):
    kind = serializers.CharField()
    title = serializers.CharField()
    purpose = serializers.CharField()
    legal_basis = serializers.CharField()
    retention = serializers.CharField()
    recipients = serializers.CharField()
    controller = serializers.CharField()
    contact = serializers.CharField()


class NoticesView(APIView):
    """The PDPA notices (accounts/privacy/notices.py), in the request's language (Accept-Language or
    ?lang= is Django's; the site is Thai first). A client that collects personal data (a LINE bot, an
    app) shows the one for what it collects, as the pages do."""

    permission_classes = [AllowAny]

    @extend_schema(summary="PDPA notices: one per point of collection", responses={200: NoticeOut(many=True)}, tags=["accounts"])
    def get(self, request):
        return Response([notice(kind).as_dict() for kind in KINDS])


class NoticeView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(summary="The PDPA notice of one point of collection", responses={200: NoticeOut}, tags=["accounts"])
    def get(self, request, kind: str):
        if kind not in KINDS:
            raise NotFound(_("There is no such notice."), details={"kinds": list(KINDS)})
        return Response(notice(kind).as_dict())
