"""/api/v1/: every app's API. The engine's generic transition routes come first."""

from django.urls import include, path
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.reverse import reverse


@api_view(["GET"])
@permission_classes([AllowAny])
def api_root(request, format=None):  # noqa: A002 (DRF's name)
    def link(name):
        try:
            return reverse(name, request=request, format=format)
        except Exception:
            return None

    links = {
        "petitions": link("api:petition-list"),
        "consultations": link("api:consultation-list"),
        "audit": link("api:audit-list"),
        "audit_verify": link("api:audit-verify"),
        "notifications": link("api:notification-list"),
        "me": link("api:me"),
        "schema": link("schema"),
        "docs": link("swagger-ui"),
    }
    return Response({name: url for name, url in links.items() if url})


app_name = "api"
urlpatterns = [
    path("", api_root, name="root"),
    path("", include("workflows.api_urls")),
    path("", include("accounts.api_urls")),
    path("", include("notifications.api_urls")),
    path("", include("petitions.api_urls")),
    path("", include("consultations.api_urls")),
]
