from django.urls import path

from . import views

app_name = "complaints"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.complaint_new, name="new"),
    path("track/", views.track, name="track"),
    path("track/<str:code>/", views.track_detail, name="track_detail"),
    path("staff/", views.staff_queue, name="staff"),
    path("statistics/", views.statistics_page, name="statistics"),
    path("statistics.csv", views.statistics_csv, name="statistics_csv"),
    path("<int:pk>/", views.complaint_detail, name="detail"),
    path("<int:pk>/photo/", views.complaint_photo, name="photo"),
    path("<int:pk>/act/<slug:name>/", views.complaint_act, name="act"),
]
