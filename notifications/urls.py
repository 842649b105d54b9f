from django.urls import path

from . import views

app_name = "notifications"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("badge/", views.badge, name="badge"),
    path("read/", views.mark_read_all, name="read-all"),
    path("<int:pk>/read/", views.mark_read, name="read"),
    path("preferences/", views.preferences, name="preferences"),
    path("follow/<str:record_type>/<str:record_id>/", views.follow, name="follow"),
    path("unfollow/<str:record_type>/<str:record_id>/", views.unfollow, name="unfollow"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("line/link/", views.line_link, name="line-link"),
    path("line/callback/", views.line_callback, name="line-callback"),
    path("line/unlink/", views.line_unlink, name="line-unlink"),
]
