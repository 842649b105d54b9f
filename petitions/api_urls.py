"""Included under the "api" namespace (config/api_urls.py): names like "api:petition-list"."""

from django.urls import path

from . import api, api_controls, api_paper

urlpatterns = [
    # The two requests of a signature first: they are most of a spike (api.SIGN, api.CONFIRM; JSON
    # requests to them are served before Django by the lane of config/wsgi.py).
    path("petitions/<int:pk>/signatures/", api.SIGN.view, name="petition-sign"),
    path("signatures/confirm/", api.CONFIRM.view, name="signature-confirm"),
    path("petitions/", api.PetitionList.as_view(), name="petition-list"),
    path("petitions/<int:pk>/", api.PetitionDetail.as_view(), name="petition-detail"),
    path("petitions/<int:pk>/count/", api.PetitionCount.as_view(), name="petition-count"),
    path("petitions/<int:pk>/signatures/invalidate/", api.InvalidateView.as_view(), name="petition-signatures-invalidate"),
    path("petitions/<int:pk>/signatures/find/", api_controls.SignatureFind.as_view(), name="petition-signatures-find"),
    path(
        "petitions/<int:pk>/signatures/<int:signature>/invalidate/",
        api_controls.SignatureInvalidateOne.as_view(),
        name="signature-invalidate",
    ),
    path(
        "petitions/<int:pk>/signatures/<int:signature>/restore/",
        api_controls.SignatureRestoreOne.as_view(),
        name="signature-restore",
    ),
    path("petitions/<int:pk>/sponsors/", api.SponsorView.as_view(), name="petition-sponsor"),
    path("petitions/<int:pk>/signature-log/", api.SignatureLogView.as_view(), name="petition-signature-log"),
    path("signature-receipts/<str:receipt>/", api.ReceiptView.as_view(), name="signature-receipt"),
    path("signatures/withdraw/", api.WithdrawView.as_view(), name="signature-withdraw"),
    path("address-flags/", api.AddressFlagList.as_view(), name="address-flag-list"),
    path("address-flags/<int:pk>/invalidate/", api.AddressFlagInvalidate.as_view(), name="address-flag-invalidate"),
    path("address-flags/<int:pk>/clear/", api.AddressFlagClear.as_view(), name="address-flag-clear"),
    path("petitions/<int:pk>/paper-sheets/", api_paper.PaperSheetList.as_view(), name="paper-sheet-list"),
    path("petitions/<int:pk>/paper-sheets/<int:number>/", api_paper.PaperSheetDetail.as_view(), name="paper-sheet-detail"),
    path("petitions/<int:pk>/paper-sheets/<int:number>/lines/", api_paper.PaperLineCreate.as_view(), name="paper-line-create"),
    path("petitions/<int:pk>/paper-sheets/<int:number>/import/", api_paper.PaperSheetImport.as_view(), name="paper-sheet-import"),
    path("petitions/<int:pk>/filing/", api_paper.FilingView.as_view(), name="petition-filing"),
    path("petitions/<int:pk>/representatives/", api_paper.RepresentativeCreate.as_view(), name="petition-representatives"),
    path("petitions/<int:pk>/objection-notice/", api_paper.ObjectionNoticeView.as_view(), name="petition-objection-notice"),
    path("petitions/<int:pk>/objections/", api_paper.ObjectionList.as_view(), name="petition-objections"),
    path("organisations/<slug:org>/signing-blocks/", api_controls.SigningBlockList.as_view(), name="signing-block-list"),
    path("organisations/<slug:org>/signing-blocks/<int:pk>/", api_controls.SigningBlockDetail.as_view(), name="signing-block"),
    path("organisations/<slug:org>/signing-limits/", api_controls.SigningLimitsView.as_view(), name="signing-limits"),
    path("objections/<int:pk>/resolve/", api_paper.ObjectionResolve.as_view(), name="objection-resolve"),
]
