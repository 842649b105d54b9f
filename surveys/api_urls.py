from django.urls import path

from . import api

urlpatterns = [
    path("surveys/", api.SurveyList.as_view(), name="survey-list"),
    path("surveys/satisfaction/", api.SatisfactionView.as_view(), name="survey-satisfaction"),
    path("surveys/<int:pk>/", api.SurveyDetail.as_view(), name="survey-detail"),
    path("surveys/<int:pk>/responses/", api.ResponseCreate.as_view(), name="survey-responses"),
    path("surveys/<int:pk>/results/", api.ResultsView.as_view(), name="survey-results"),
    path("surveys/<int:pk>/results.csv", api.results_csv, name="survey-results-csv"),
]
