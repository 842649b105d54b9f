from django.urls import path

from . import views

app_name = "workflows"
urlpatterns = [
    path("", views.audit_list, name="audit"),
    path("check/", views.audit_check, name="audit-check"),
    path("verify_record.py", views.verifier_download, name="verifier"),
]
