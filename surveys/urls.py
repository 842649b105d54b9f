from django.urls import path

from . import views

app_name = "surveys"
urlpatterns = [
    path("", views.survey_list, name="list"),
    path("new/", views.survey_new, name="new"),
    path("<int:pk>/", views.survey_detail, name="detail"),
    path("<int:pk>/answer/", views.survey_answer, name="answer"),
    path("<int:pk>/questions/", views.question_add, name="question_add"),
    path("<int:pk>/move/", views.survey_move, name="move"),
    path("<int:pk>/results/", views.results, name="results"),
    path("<int:pk>/results.csv", views.results_csv, name="results_csv"),
    path("<int:pk>/moderation/", views.moderation, name="moderation"),
]
