from django.urls import path

from . import api

urlpatterns = [
    path("complaints/", api.ComplaintList.as_view(), name="complaint-list"),
    path("complaints/categories/", api.CategoryList.as_view(), name="complaint-categories"),
    path("complaints/statistics/", api.StatisticsView.as_view(), name="complaint-statistics"),
    path("complaints/statistics.csv", api.statistics_csv, name="complaint-statistics-csv"),
    path("complaints/track/<str:code>/", api.TrackView.as_view(), name="complaint-track"),
    path("complaints/<int:pk>/", api.ComplaintDetail.as_view(), name="complaint-detail"),
]

from . import integrity_api  # noqa: E402

urlpatterns += [
    path("integrity-reports/", integrity_api.ReportList.as_view(), name="integrity-list"),
    path("integrity-reports/statistics/", integrity_api.StatisticsView.as_view(), name="integrity-statistics"),
    path("integrity-reports/statistics.csv", integrity_api.statistics_csv, name="integrity-statistics-csv"),
    path("integrity-reports/track/<str:code>/", integrity_api.TrackView.as_view(), name="integrity-track"),
    path("integrity-reports/<int:pk>/", integrity_api.ReportDetail.as_view(), name="integrity-detail"),
]
