"""/api/v1/me/: who am I and my roles per organisation. (Tokens: config/auth_api.py, /api/v1/auth/token/.)"""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from .models import Membership


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
