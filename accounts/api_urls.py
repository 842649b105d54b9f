from django.urls import path

from . import api

urlpatterns = [
    path("me/", api.MeView.as_view(), name="me"),
    path("me/data/", api.MeDataView.as_view(), name="me-data"),
    path("me/confirmation/", api.MeConfirmationView.as_view(), name="me-confirmation"),
    path("verifications/in-person/", api.InPersonVerificationView.as_view(), name="verification-in-person"),
    path("privacy/notices/", api.NoticesView.as_view(), name="privacy-notices"),
    path("privacy/notices/<str:kind>/", api.NoticeView.as_view(), name="privacy-notice"),
]
