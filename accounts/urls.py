from django.urls import path

from . import verification_views as verification
from . import views
from .privacy import views as privacy

app_name = "accounts"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("register/", views.register, name="register"),
    path("register/sent/", views.register_sent, name="register_sent"),
    path("confirm/again/", views.confirm_resend, name="confirm_resend"),
    path("confirm/<str:token>/", views.confirm, name="confirm"),
    path("password/reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("password/reset/sent/", views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("password/reset/<uidb64>/<token>/", views.PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path("password/reset/done/", views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("verification/", verification.verification, name="verification"),
    path("verification/thaid/", verification.thaid_start, name="thaid-start"),
    path("verification/thaid/callback/", verification.thaid_callback, name="thaid-callback"),
    path("verification/office/", verification.office, name="verification-office"),
    path("privacy/", privacy.privacy, name="privacy"),
    path("privacy/download/", privacy.download, name="privacy-download"),
    path("privacy/erase/", privacy.erase, name="privacy-erase"),
    path("privacy/requests/", privacy.requests, name="privacy-requests"),
    path("privacy/requests/<int:pk>/<slug:action>/", privacy.decide, name="privacy-decide"),
]
