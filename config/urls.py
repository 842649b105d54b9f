from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from accounts.views import set_language

from . import desk, health, search, views

urlpatterns = [
    path("api/v1/", include("config.api_urls")),  # first: the signing requests are most of a spike
    path("", views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("search/", search.search, name="search"),
    path("accessibility/", views.accessibility, name="accessibility"),
    path("desk/", desk.desk, name="desk"),
    path("desk/<str:role>/", desk.desk, name="desk-role"),
    path("i18n/setlang/", set_language, name="set_language"),  # its `next` through accounts.redirects
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("petitions/", include("petitions.urls")),
    path("consultations/", include("consultations.urls")),
    path("complaints/", include("complaints.urls")),
    path("integrity/", include("complaints.integrity_urls")),
    path("surveys/", include("surveys.urls")),
    path("notifications/", include("notifications.urls")),
    path("audit/", include("workflows.urls")),
    path("files/", include("workflows.files_urls")),  # attachments (workflows/files_views.py)
    path("", include("opendata.urls")),  # /open-data/…, /statistics/
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file: no inline script (CSP).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
]

handler400 = "config.views.handler400"
handler403 = "config.views.handler403"
handler404 = "config.views.handler404"
handler500 = "config.views.handler500"
