from django.urls import path

from . import files_views

urlpatterns = [
    path("<int:pk>/", files_views.attachment_file, name="attachment"),
    path("<int:pk>/thumbnail/", files_views.attachment_file, {"field": "thumbnail"}, name="attachment-thumbnail"),
    path("<int:pk>/remove/", files_views.attachment_remove_page, name="attachment-remove"),
    path("<slug:records>/<int:pk>/", files_views.attachment_add_page, name="attachment-add"),
]
