from django.urls import path
from django.views.generic import TemplateView

app_name = "petitions"
urlpatterns = [
    path("", TemplateView.as_view(template_name="placeholder.html"), name="list"),
    path("moderation/", TemplateView.as_view(template_name="placeholder.html"), name="moderation"),
]
