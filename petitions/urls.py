from django.urls import path

from . import views

app_name = "petitions"
urlpatterns = [
    path("", views.petition_list, name="list"),
    path("new/", views.petition_create, name="create"),
    path("moderation/", views.moderation_queue, name="moderation"),
    path("moderation/addresses/", views.address_queue, name="addresses"),
    path("moderation/addresses/<int:pk>/<str:action>/", views.address_flag_review, name="address-review"),
    path("<int:pk>/", views.petition_detail, name="detail"),
    path("<int:pk>/sign/", views.petition_sign, name="sign"),
    path("<int:pk>/widget/", views.petition_widget, name="widget"),
    path("<int:pk>/sponsor/<str:token>/", views.petition_sponsor, name="sponsor"),
    path("<int:pk>/act/<slug:name>/", views.petition_act, name="act"),
    path("<int:pk>/signatures/", views.signature_review, name="signatures"),
    path("receipts/", views.receipt_check, name="receipt"),
    path("signatures/confirm/<str:token>/", views.signature_confirm, name="confirm"),
    path("signatures/withdraw/<str:token>/", views.signature_withdraw, name="withdraw"),
]
