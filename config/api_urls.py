"""/api/v1/: every app's API. Petitions first (its signing routes are the hot path), then the engine's transitions."""

from django.urls import NoReverseMatch, include, path
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.reverse import reverse

from .auth_api import TokenView

# name in the root document → URL name. Links whose app has not registered the URL yet are left out.
_ROOT_LINKS = {
    "petitions": "api:petition-list",
    "consultations": "api:consultation-list",
    "complaints": "api:complaint-list",
    "complaint_statistics": "api:complaint-statistics",
    "surveys": "api:survey-list",
    "audit": "api:audit-list",
    "audit_verify": "api:audit-verify",
    "notifications": "api:notification-list",
    "me": "api:me",
    "token": "api:token",
    "schema": "schema",
    "docs": "swagger-ui",
    "redoc": "redoc",
}


@extend_schema(
    summary="API root: links to every collection",
    responses=inline_serializer("ApiRoot", {name: serializers.URLField(required=False) for name in _ROOT_LINKS}),
)
@api_view(["GET"])
@permission_classes([AllowAny])
def api_root(request, format=None):  # noqa: A002 (DRF's name)
    links = {}
    for name, url_name in _ROOT_LINKS.items():
        try:
            links[name] = reverse(url_name, request=request, format=format)
        except NoReverseMatch:
            continue
    return Response(links)


app_name = "api"
urlpatterns = [
    path("", include("petitions.api_urls")),  # first: its two signing routes are the hot path
    path("", api_root, name="root"),
    path("auth/token/", TokenView.as_view(), name="token"),
    path("", include("workflows.api_urls")),
    path("", include("accounts.api_urls")),
    path("", include("notifications.api_urls")),
    path("", include("consultations.api_urls")),
    path("", include("complaints.api_urls")),
    path("", include("surveys.api_urls")),
]
