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
