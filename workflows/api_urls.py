from django.urls import path

from . import api, attachments_api

urlpatterns = [
    path("<slug:records>/<int:pk>/transitions/", api.TransitionListView.as_view(), name="transition-list"),
    path(
        "<slug:records>/<int:pk>/transitions/<slug:name>/",
        api.TransitionApplyView.as_view(),
        name="transition-apply",
    ),
]
urlpatterns += [
    path("<slug:records>/<int:pk>/attachments/", attachments_api.AttachmentListView.as_view(), name="attachment-list"),
    path(
        "<slug:records>/<int:pk>/attachments/<int:file_id>/",
        attachments_api.AttachmentDetailView.as_view(),
        name="attachment-detail",
    ),
]
urlpatterns += [
    path("audit/", api.AuditListView.as_view(), name="audit-list"),
    path("audit/verify/", api.AuditVerifyView.as_view(), name="audit-verify"),
    path("audit/checkpoints/", api.AuditCheckpointListView.as_view(), name="audit-checkpoints"),
    path("audit/key/", api.AuditKeyView.as_view(), name="audit-key"),
    path("audit/published/<str:record_type>/<str:record_id>/", api.AuditPublishedView.as_view(), name="audit-published"),
]
urlpatterns += [
    path("organisations/<slug:org>/members/", api.MembershipListView.as_view(), name="organisation-members"),
    path(
        "organisations/<slug:org>/members/<int:user_id>/<slug:role>/",
        api.MembershipRevokeView.as_view(),
        name="organisation-member-revoke",
    ),
]
