from django.urls import path

from . import integrity_views as views

app_name = "integrity"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.report_new, name="new"),
    path("track/", views.track, name="track"),
    path("track/<str:code>/", views.track_detail, name="track_detail"),
    path("statistics.csv", views.statistics_csv, name="statistics_csv"),
    path("reports/", views.officer_list, name="list"),
    path("<int:pk>/", views.officer_detail, name="detail"),
    path("<int:pk>/act/<slug:name>/", views.officer_act, name="act"),
    path("<int:pk>/reporter/", views.officer_reporter, name="reporter"),
]
