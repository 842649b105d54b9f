from django.urls import path

from . import views, views_controls, views_paper

app_name = "petitions"
urlpatterns = [
    path("", views.petition_list, name="list"),
    path("new/", views.petition_create, name="create"),
    path("moderation/", views.moderation_queue, name="moderation"),
    path("moderation/addresses/", views.address_queue, name="addresses"),
    path("moderation/addresses/<int:pk>/<str:action>/", views.address_flag_review, name="address-review"),
    path("organisations/<slug:slug>/signing-blocks/", views_controls.signing_blocks, name="signing-blocks"),
    path(
        "organisations/<slug:slug>/signing-blocks/<int:pk>/remove/",
        views_controls.signing_block_remove,
        name="signing-block-remove",
    ),
    path("organisations/<slug:slug>/signing-limits/", views_controls.signing_limits, name="signing-limits"),
    path("<int:pk>/", views.petition_detail, name="detail"),
    path("<int:pk>/sign/", views.petition_sign, name="sign"),
    path("<int:pk>/edit/", views.petition_edit, name="edit"),
    path("<int:pk>/widget/", views.petition_widget, name="widget"),
    path("<int:pk>/sponsor/<str:token>/", views.petition_sponsor, name="sponsor"),
    path("<int:pk>/act/<slug:name>/", views.petition_act, name="act"),
    path("<int:pk>/signatures/", views.signature_review, name="signatures"),
    path("<int:pk>/signatures/find/", views_controls.signature_find, name="signature-find"),
    path("<int:pk>/signatures/<int:signature>/<slug:action>/", views_controls.signature_act, name="signature-act"),
    path("receipts/", views.receipt_check, name="receipt"),
    path("<int:pk>/paper/", views_paper.paper_sheets, name="paper"),
    path("<int:pk>/paper/<int:number>/", views_paper.paper_sheet, name="paper-sheet"),
    path("<int:pk>/filing/", views_paper.filing_page, name="filing"),
    path("<int:pk>/filing.pdf", views_paper.filing_pdf, name="filing-pdf"),
    path("<int:pk>/filing.csv", views_paper.filing_csv, name="filing-csv"),
    path("<int:pk>/objections/", views_paper.objection_notice, name="objections"),
    path("signatures/confirm/<str:token>/", views.signature_confirm, name="confirm"),
    path("signatures/withdraw/<str:token>/", views.signature_withdraw, name="withdraw"),
]
