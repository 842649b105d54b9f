"""/api/v1/surveys/: the surveys, one with its questions, answering it, and its results (JSON
and CSV). Moves: the engine's /api/v1/surveys/<id>/transitions/<name>/ (open, close, close_early).

Answering without an account needs the survey's permission and the `ruamkid_device` cookie the
survey page sets (the per-device limit)."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from workflows.errors import NotFound
from workflows.exports import csv_response
from workflows.paging import paged, paged_response

from . import rules, selectors, services
from .models import Survey

DEVICE_COOKIE = "ruamkid_device"


class ChoiceOut(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()


class QuestionOut(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    text = serializers.CharField()
    required = serializers.BooleanField()
    choices = ChoiceOut(many=True, source="choices.all")


class SurveyOut(serializers.ModelSerializer):
    organisation = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    url = serializers.CharField(source="get_absolute_url")
    accepting = serializers.BooleanField()

    class Meta:
        model = Survey
        fields = [
            "id", "title", "description", "subject", "service_name", "consultation", "organisation", "state", "version",
            "opens_at", "closes_at", "allow_anonymous", "accepting", "url",
        ]  # fmt: skip


class SurveyDetailOut(SurveyOut):
    questions = QuestionOut(many=True, source="questions.all")

    class Meta(SurveyOut.Meta):
        fields = [*SurveyOut.Meta.fields, "questions"]


class AnswersIn(serializers.Serializer):
    answers = serializers.DictField(
        help_text='question id → a choice id, a list of choice ids, a rating 1–5 or a text: {"12": 40, "13": [41, 43], "14": 5}'
    )


class SurveyList(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Surveys (open and closed; staff also see drafts)",
        responses=paged("Survey", SurveyOut),
        operation_id="v1_surveys_list",
        tags=["surveys"],
    )
    def get(self, request):
        return paged_response(request, self, selectors.surveys_for(request.user), SurveyOut)


class SurveyDetail(APIView):
    permission_classes = [AllowAny]

    @extend_schema(summary="A survey with its questions", responses=SurveyDetailOut, tags=["surveys"])
    def get(self, request, pk: int):
        return Response(SurveyDetailOut(selectors.survey_get(pk, request.user)).data)


class ResponseCreate(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Answer a survey (once per account, or per device where allowed)",
        request=AnswersIn,
        responses={201: inline_serializer("SurveyAnswered", {"response": serializers.IntegerField()})},
        tags=["surveys"],
    )
    def post(self, request, pk: int):
        survey = selectors.survey_get(pk, request.user)
        body = AnswersIn(data=request.data)
        body.is_valid(raise_exception=True)
        response = services.response_submit(
            survey=survey, actor=request.user, answers=body.validated_data["answers"],
            device_token=request.COOKIES.get(DEVICE_COOKIE, ""), client_ip=request.META.get("REMOTE_ADDR", ""),
        )  # fmt: skip
        return Response({"response": response.pk}, status=201)


class ResultsView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        summary="A survey's results (text answers only once published by a moderator)",
        responses=inline_serializer(
            "SurveyResults",
            {
                "survey": serializers.IntegerField(),
                "title": serializers.CharField(),
                "state": serializers.CharField(),
                "responses": serializers.IntegerField(),
                "questions": serializers.ListField(child=serializers.DictField()),
            },
        ),
        tags=["surveys"],
    )
    def get(self, request, pk: int):
        survey = selectors.survey_get(pk, request.user)
        return Response(selectors.results(survey, moderator=rules.is_moderator(survey, request.user)))


class SatisfactionView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Satisfaction with the municipality's services per Thai fiscal year (the standard survey; ITA evidence)",
        parameters=[OpenApiParameter("organisation", str, description="organisation slug (default: the first)")],
        responses=inline_serializer(
            "SurveySatisfaction",
            {"organisation": serializers.CharField(), "by_fiscal_year": serializers.ListField(child=serializers.DictField())},
        ),
        tags=["surveys"],
    )
    def get(self, request):
        from accounts.models import Organisation
        from accounts.selectors import default_organisation

        slug = request.GET.get("organisation", "")[:50]
        organisation = Organisation.objects.filter(slug=slug).first() if slug else default_organisation()
        if organisation is None:
            raise NotFound()
        return Response(
            {"organisation": organisation.slug, "by_fiscal_year": selectors.satisfaction_by_fiscal_year(organisation)}
        )


def results_csv(request, pk: int):
    """/api/v1/surveys/<id>/results.csv (a plain view: DRF's ?format= belongs to its renderers)."""
    try:
        survey = selectors.survey_get(pk, request.user)
    except NotFound:
        raise Http404 from None
    return csv_response(selectors.results_rows(selectors.results(survey)), filename=f"survey-{survey.pk}-results.csv")
