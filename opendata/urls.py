from django.urls import path

from . import views

app_name = "opendata"
urlpatterns = [
    path("open-data/", views.index, name="index"),
    path("open-data/consultations/<int:pk>.json", views.record_json, {"about": "consultation"}, name="consultation-json"),
    path("open-data/petitions/<int:pk>.json", views.record_json, {"about": "petition"}, name="petition-json"),
    path("open-data/ita/", views.ita_index, name="ita"),
    path("open-data/ita/<int:year>/", views.ita_report, name="ita-report"),
    path("open-data/ita/<int:year>.csv", views.ita_csv, name="ita-csv"),
    path("open-data/ita/<int:year>.pdf", views.ita_pdf, name="ita-pdf"),
    path("statistics/", views.statistics, name="statistics"),
    path("open-data/<slug:name>.csv", views.dataset_csv, name="csv"),
    path("open-data/<slug:name>.json", views.dataset_json, name="json"),
]
