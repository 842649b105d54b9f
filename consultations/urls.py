from django.urls import path

from . import views

app_name = "consultations"
urlpatterns = [
    path("", views.consultation_list, name="list"),
    path("new/", views.consultation_new, name="new"),
    path("<int:pk>/", views.consultation_detail, name="detail"),
    path("<int:pk>/schedule/", views.schedule_set, name="schedule"),
    path("<int:pk>/move/", views.move, name="move"),
    path("<int:pk>/stage/extend/", views.stage_extend, name="stage_extend"),
    path("<int:pk>/documents/", views.document_add, name="document"),
    path("<int:pk>/problems/", views.problem_submit, name="problem"),
    path("<int:pk>/problems/<int:problem_pk>/support/", views.problem_support, name="support"),
    path("<int:pk>/problems/<int:problem_pk>/merge/", views.problem_merge, name="merge"),
    path("<int:pk>/alternatives/", views.alternative_create, name="alternative"),
    path("<int:pk>/comments/", views.comment_post, name="comment"),
    path("<int:pk>/report/", views.report_file, name="report"),
    path("<int:pk>/<str:kind>/<int:object_id>/edit/", views.contribution_edit, name="edit"),
    path("<int:pk>/<str:kind>/<int:object_id>/withdraw/", views.contribution_withdraw, name="withdraw"),
    path("<int:pk>/ballot/", views.ballot_cast, name="ballot"),
    path("<int:pk>/progress/", views.progress_post, name="progress"),
    path("<int:pk>/moderation/", views.moderation, name="moderation"),
    path("<int:pk>/decision/", views.decision_form, name="decision"),
    path("<int:pk>/record/", views.record, name="record"),
    path("<int:pk>/record.csv", views.record_csv, name="record_csv"),
]
