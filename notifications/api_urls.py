from django.urls import path

from . import api

urlpatterns = [
    path("notifications/", api.NotificationList.as_view(), name="notification-list"),
    path("notifications/unread-count/", api.UnreadCount.as_view(), name="notification-unread-count"),
    path("notifications/read-all/", api.MarkAllRead.as_view(), name="notification-read-all"),
    path("notifications/preferences/", api.Preferences.as_view(), name="notification-preferences"),
    path("notifications/line/", api.LineLink.as_view(), name="notification-line"),
    path("notifications/<int:pk>/read/", api.MarkRead.as_view(), name="notification-read"),
    path("subscriptions/", api.SubscriptionList.as_view(), name="subscription-list"),
    path("subscriptions/<str:record_type>/<str:record_id>/", api.SubscriptionDetail.as_view(), name="subscription-detail"),
]
