from django.urls import path

from . import api

urlpatterns = [
    path("consultations/", api.ConsultationList.as_view(), name="consultation-list"),
    path("consultations/<int:pk>/", api.ConsultationDetail.as_view(), name="consultation-detail"),
    path("consultations/<int:pk>/schedule/", api.ScheduleView.as_view(), name="consultation-schedule"),
    path("consultations/<int:pk>/stage/extend/", api.StageExtendView.as_view(), name="consultation-stage-extend"),
    path("consultations/<int:pk>/problems/", api.ProblemList.as_view(), name="consultation-problems"),
    path(
        "consultations/<int:pk>/problems/<int:problem_pk>/support/",
        api.ProblemSupport.as_view(),
        name="consultation-problem-support",
    ),
    path(
        "consultations/<int:pk>/problems/<int:problem_pk>/merge/", api.ProblemMerge.as_view(), name="consultation-problem-merge"
    ),
    path("consultations/<int:pk>/alternatives/", api.AlternativeList.as_view(), name="consultation-alternatives"),
    path("consultations/<int:pk>/comments/", api.CommentList.as_view(), name="consultation-comments"),
    *[
        route
        for kind in ("problem", "alternative", "comment")
        for route in (
            path(
                f"consultations/<int:pk>/{kind}s/<int:object_id>/",
                api.ContributionEdit.as_view(kind=kind),
                name=f"consultation-{kind}-edit",
            ),
            path(
                f"consultations/<int:pk>/{kind}s/<int:object_id>/withdraw/",
                api.ContributionWithdraw.as_view(kind=kind),
                name=f"consultation-{kind}-withdraw",
            ),
        )
    ],
    path("consultations/<int:pk>/reports/", api.ReportCreate.as_view(), name="consultation-reports"),
    path("consultations/<int:pk>/moderation/", api.ModerationView.as_view(), name="consultation-moderation"),
    path("consultations/<int:pk>/ballot/", api.BallotView.as_view(), name="consultation-ballot"),
    path("consultations/<int:pk>/results/", api.ResultsView.as_view(), name="consultation-results"),
    path("consultations/<int:pk>/village-meetings/", api.VillageMeetingView.as_view(), name="consultation-village-meetings"),
    path("consultations/<int:pk>/decision/", api.DecisionView.as_view(), name="consultation-decision"),
    path("consultations/<int:pk>/progress/", api.ProgressView.as_view(), name="consultation-progress"),
    path("consultations/<int:pk>/record/", api.RecordView.as_view(), name="consultation-record"),
    path("consultations/<int:pk>/record.csv", api.record_csv, name="consultation-record-csv"),
]
