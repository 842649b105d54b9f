"""Included under the "api" namespace (config/api_urls.py): names like "api:petition-list"."""

from django.urls import path

from . import api

urlpatterns = [
    path("petitions/", api.PetitionList.as_view(), name="petition-list"),
    path("petitions/<int:pk>/", api.PetitionDetail.as_view(), name="petition-detail"),
    path("petitions/<int:pk>/signatures/", api.SignView.as_view(), name="petition-sign"),
    path("petitions/<int:pk>/signatures/invalidate/", api.InvalidateView.as_view(), name="petition-signatures-invalidate"),
    path("petitions/<int:pk>/sponsors/", api.SponsorView.as_view(), name="petition-sponsor"),
    path("signatures/confirm/", api.ConfirmView.as_view(), name="signature-confirm"),
    path("signatures/withdraw/", api.WithdrawView.as_view(), name="signature-withdraw"),
]
