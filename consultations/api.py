"""/api/v1/consultations/: consultations with nested problems, alternatives, comments, the
voter's own ballot, results, the decision and the participation record.

State moves use the engine's generic endpoint /api/v1/consultations/<id>/transitions/<name>/.
Every error is the one JSON shape; bad input changes nothing (each service is one transaction).
"""

from __future__ import annotations

import secrets

from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Organisation
from accounts.thai import keyed_hash
from workflows.attachments_api import WithAttachments
from workflows.errors import NotFound, PermissionDenied, ValidationFailed
from workflows.exports import csv_response
from workflows.filters import openapi_parameters
from workflows.jsonviews import Caller, LaneThrottled, TokenRoute
from workflows.paging import listed, paged, paged_response
from workflows.parsers import WholeNumberField

from . import meetings, rules, selectors, services
from .filters import ConsultationFilter, ProblemFilter
from .models import Consultation, Level, Problem, ReasonCode, Report, State, VillageMeeting, Visibility


def _signed_in(request):
    if not request.user.is_authenticated:
        raise PermissionDenied(_("Sign in to do this."), code="not_authenticated")
    return request.user


SEED_KEY = "consultations:problem_order_seed"


def order_seed(request, c: Consultation) -> str:
    """The visitor's seed for the neutral problem order while supports are open
    (selectors.problem_order); "" after. Signed in: a keyed hash of the account, so the page, the
    API and a token client agree and it never changes. Anyone else: a random value kept in their
    session (made on the first such read), the same on every page they load."""
    if not selectors.supports_open(c):
        return ""
    user = getattr(request, "user", None)
    if getattr(user, "is_authenticated", False):
        return keyed_hash(str(user.pk), purpose="problem-order")[:16]
    session = getattr(request, "session", None)
    if session is None:
        return ""
    seed = session.get(SEED_KEY)
    if not seed:
        seed = session[SEED_KEY] = secrets.token_hex(8)
    return seed


def _valid(serializer_class, request) -> dict:
    s = serializer_class(data=request.data)
    s.is_valid(raise_exception=True)
    return s.validated_data


# --- output --------------------------------------------------------------------------------------------


class StageOut(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    starts_at = serializers.DateTimeField(allow_null=True)
    ends_at = serializers.DateTimeField(allow_null=True)
    current = serializers.BooleanField()


class ConsultationOut(serializers.ModelSerializer):
    url = serializers.CharField(source="get_absolute_url")
    organisation = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    schedule = serializers.SerializerMethodField()
    village_ids = serializers.SerializerMethodField()

    class Meta:
        model = Consultation
        fields = [
            "id",
            "title",
            "summary",
            "body",
            "level",
            "state",
            "moderation",
            "voting",
            "show_tallies_during_voting",
            "village_ids",
            "channels",
            "organisation",
            "url",
            "version",
            "created_at",
            "schedule",
        ]

    def get_schedule(self, c) -> list[dict]:
        return StageOut(selectors.schedule(c), many=True).data

    def get_village_ids(self, c) -> list[int]:
        return [v.pk for v in c.villages.all()]


WITHDRAWN_HELP = "a withdrawn one reads 'withdrawn by its author' (ถอนโดยผู้เขียน) in place of its text"


class ProblemOut(serializers.ModelSerializer):
    title = serializers.CharField(source="shown_title", help_text=WITHDRAWN_HELP)
    body = serializers.CharField(source="shown_body")
    supporters = serializers.IntegerField(source="n_supports", default=0)
    village = serializers.StringRelatedField(allow_null=True)

    class Meta:
        model = Problem
        fields = [
            "id", "title", "body", "visibility", "supporters", "merged_into", "village", "response", "created_at",
            "edited_at", "withdrawn_at",
        ]  # fmt: skip


class AlternativeOut(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField(source="shown_title", help_text=WITHDRAWN_HELP)
    body = serializers.CharField(source="shown_body")
    visibility = serializers.CharField()
    by_staff = serializers.BooleanField()
    problem_ids = serializers.SerializerMethodField()
    adopted = serializers.BooleanField()
    response = serializers.CharField()
    created_at = serializers.DateTimeField()
    edited_at = serializers.DateTimeField(allow_null=True)
    withdrawn_at = serializers.DateTimeField(allow_null=True)

    def get_problem_ids(self, a) -> list[int]:
        return [p.pk for p in a.problems.all()]


class CommentOut(serializers.Serializer):
    id = serializers.IntegerField()
    body = serializers.CharField(source="shown_body", help_text=WITHDRAWN_HELP)
    visibility = serializers.CharField()
    parent_id = serializers.IntegerField(allow_null=True)
    depth = serializers.IntegerField(help_text="1 a comment, 2 a reply, 3 at most (a reply to level 3 joins level 3)")
    reply_to_id = serializers.IntegerField(allow_null=True, help_text="the comment it answered, when not its parent")
    problem_id = serializers.IntegerField(allow_null=True)
    alternative_id = serializers.IntegerField(allow_null=True)
    by_staff = serializers.BooleanField()
    official = serializers.BooleanField(help_text="the municipality's official answer (คำตอบจากเทศบาล)")
    author = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    edited_at = serializers.DateTimeField(allow_null=True)
    withdrawn_at = serializers.DateTimeField(allow_null=True)

    def get_author(self, cm) -> str:
        return (cm.author.full_name or _("resident")) if cm.author_id else ""


# --- input ---------------------------------------------------------------------------------------------


class ConsultationIn(serializers.Serializer):
    organisation = serializers.SlugField()
    title = serializers.CharField(max_length=300)
    level = serializers.ChoiceField(choices=Level.choices)
    summary = serializers.CharField(required=False, allow_blank=True, default="")
    body = serializers.CharField(required=False, allow_blank=True, default="")
    moderation = serializers.ChoiceField(choices=Consultation.Moderation.choices, default=Consultation.Moderation.POST)
    voting = serializers.ChoiceField(choices=Consultation.Voting.choices, default=Consultation.Voting.SINGLE)
    show_tallies_during_voting = serializers.BooleanField(default=False)
    village_ids = serializers.ListField(child=WholeNumberField(), required=False, default=list)
    channels = serializers.CharField(required=False, allow_blank=True, default="")


class StageIn(serializers.Serializer):
    name = serializers.ChoiceField(choices=State.choices)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()


class ScheduleIn(serializers.Serializer):
    stages = StageIn(many=True, allow_empty=False)


class StageExtendIn(serializers.Serializer):
    ends_at = serializers.DateTimeField(help_text="the running stage's new end: later than its current end")
    reason = serializers.CharField(max_length=4000)


class ProblemIn(serializers.Serializer):
    title = serializers.CharField(max_length=300)
    body = serializers.CharField(required=False, allow_blank=True, default="", max_length=4000)


class MergeIn(serializers.Serializer):
    into = serializers.IntegerField()
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=4000)


class AlternativeIn(serializers.Serializer):
    title = serializers.CharField(max_length=300)
    body = serializers.CharField(required=False, allow_blank=True, default="", max_length=4000)
    problem_ids = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)


class CommentIn(serializers.Serializer):
    body = serializers.CharField(max_length=4000)
    parent_id = serializers.IntegerField(required=False, allow_null=True)
    problem_id = serializers.IntegerField(required=False, allow_null=True)
    alternative_id = serializers.IntegerField(required=False, allow_null=True)
    official = serializers.BooleanField(required=False, default=False, help_text="staff: answer as the municipality")


class EditIn(serializers.Serializer):
    title = serializers.CharField(required=False, max_length=300, help_text="problems and alternatives")
    body = serializers.CharField(required=False, allow_blank=True, max_length=4000)


class WithdrawIn(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class ReportIn(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Report.Kind.choices)
    object_id = serializers.IntegerField(min_value=1)
    reason_code = serializers.ChoiceField(choices=ReasonCode.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=1000)


class ModerationIn(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Report.Kind.choices)
    object_id = serializers.IntegerField(min_value=1)
    outcome = serializers.ChoiceField(choices=["publish", "remove", "dismiss"])  # dismiss: close the reports, keep the text
    reason_code = serializers.ChoiceField(choices=ReasonCode.choices, required=False, allow_blank=True, default="")
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


BALLOT_MAX = 100


class BallotIn(serializers.Serializer):
    alternative_ids = serializers.ListField(child=serializers.IntegerField(), allow_empty=False, max_length=BALLOT_MAX)


class DecisionIn(serializers.Serializer):
    chosen_ids = serializers.ListField(child=serializers.IntegerField(), allow_empty=True)
    rationale = serializers.CharField(max_length=20000)
    council_resolution = serializers.CharField(max_length=200)
    alternative_answers = serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=4000), required=False, default=dict
    )
    problem_answers = serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=4000), required=False, default=dict
    )


class ProgressIn(serializers.Serializer):
    body = serializers.CharField(max_length=4000)
    percent_complete = serializers.IntegerField(min_value=0, max_value=100, required=False, allow_null=True)


# --- views ---------------------------------------------------------------------------------------------


class Base(APIView):
    permission_classes = [AllowAny]  # the rules decide; anonymous writes get 403 from _signed_in

    def consultation(self, request, pk) -> Consultation:
        return selectors.consultation_get(pk, request.user)


class ConsultationList(Base):
    @extend_schema(
        parameters=openapi_parameters(ConsultationFilter),
        responses=paged("Consultation", ConsultationOut),
        operation_id="v1_consultations_list",
        tags=["consultations"],
    )
    def get(self, request):
        """Searched, filtered and sorted by consultations.filters.ConsultationFilter (docs/API.md#search-filters-and-sorting)."""
        qs = selectors.consultation_list(request.user).prefetch_related("villages")
        qs, ordering = ConsultationFilter(request.query_params, queryset=qs, request=request).validated()
        return paged_response(request, self, qs, ConsultationOut, ordering=ordering)

    @extend_schema(request=ConsultationIn, responses={201: ConsultationOut}, tags=["consultations"])
    def post(self, request):
        user = _signed_in(request)
        data = _valid(ConsultationIn, request)
        organisation = Organisation.objects.filter(slug=data.pop("organisation")).first()
        if organisation is None:
            raise ValidationFailed(details={"organisation": [_("Unknown organisation.")]})
        c = services.consultation_create(organisation=organisation, actor=user, **data)
        return Response(ConsultationOut(c).data, status=201)


class ConsultationDetailOut(WithAttachments, ConsultationOut):
    class Meta(ConsultationOut.Meta):
        fields = [*ConsultationOut.Meta.fields, "attachments"]


class ConsultationDetail(Base):
    @extend_schema(responses=ConsultationDetailOut, tags=["consultations"])
    def get(self, request, pk):
        c = self.consultation(request, pk)
        body = ConsultationDetailOut(c, context={"request": request}).data
        body["can"] = rules.allowed_actions(request.user, c)
        return Response(body)


class ScheduleView(Base):
    @extend_schema(request=ScheduleIn, responses=StageOut(many=True), tags=["consultations"])
    def put(self, request, pk):
        user = _signed_in(request)
        c = self.consultation(request, pk)
        data = _valid(ScheduleIn, request)
        stages = {}
        for row in data["stages"]:
            if row["name"] in stages:
                raise ValidationFailed(details={"stages": [_("Each stage once.")]})
            stages[row["name"]] = (row["starts_at"], row["ends_at"])
        services.consultation_schedule_set(consultation=c, actor=user, stages=stages)
        c = self.consultation(request, pk)
        return Response(StageOut(selectors.schedule(c), many=True).data)


class StageExtendView(Base):
    @extend_schema(
        summary="Extend the running stage (staff, with a reason)",
        request=StageExtendIn,
        responses={200: OpenApiTypes.OBJECT},
        tags=["consultations"],
    )
    def post(self, request, pk):
        """A later end for the running hearing stage; the stages after it move by as much. 400
        `extension_not_later` for an end that is not later, `schedule_invalid` for a schedule the
        rules refuse; 403 for anyone but staff; 409 `stage_not_running` once the stage has ended."""
        user = _signed_in(request)
        c = self.consultation(request, pk)
        data = _valid(StageExtendIn, request)
        stage = services.consultation_stage_extend(consultation=c, actor=user, **data)
        c = self.consultation(request, pk)
        return Response(
            {"stage": stage.name, "ends_at": stage.ends_at, "schedule": StageOut(selectors.schedule(c), many=True).data}
        )


class ProblemList(Base):
    @extend_schema(parameters=openapi_parameters(ProblemFilter), responses=listed("Problem", ProblemOut), tags=["consultations"])
    def get(self, request, pk):
        """While supports are open, the visitor's own random order (?ordering=random, the default then;
        most_supported is refused until supports close); after, most supported first.
        ?ordering=random|most_supported|newest|oldest; ?q= searches them."""
        c = self.consultation(request, pk)
        problems = selectors.problems_for(c, request.user, moderator=rules.can("moderate", request.user, c))
        problems, _ordering = ProblemFilter(request.query_params, queryset=problems, request=request).validated()
        chosen = request.query_params.get("ordering", "")
        problems = problems.order_by(*selectors.problem_ordering(c, chosen, order_seed(request, c)))
        return Response({"results": ProblemOut(problems, many=True).data})

    @extend_schema(request=ProblemIn, responses={201: ProblemOut}, tags=["consultations"])
    def post(self, request, pk):
        user = _signed_in(request)
        c = self.consultation(request, pk)
        data = _valid(ProblemIn, request)
        problem = services.problem_submit(consultation=c, actor=user, **data)
        return Response(ProblemOut(problem).data, status=201)


class ProblemSupport(Base):
    @extend_schema(request=None, responses={200: OpenApiTypes.OBJECT}, tags=["consultations"])
    def post(self, request, pk, problem_pk):
        return self._set(request, pk, problem_pk, True)

    @extend_schema(request=None, responses={200: OpenApiTypes.OBJECT}, tags=["consultations"])
    def delete(self, request, pk, problem_pk):
        return self._set(request, pk, problem_pk, False)

    def _set(self, request, pk, problem_pk, support):
        user = _signed_in(request)
        c = self.consultation(request, pk)
        problem = Problem.objects.filter(consultation=c, pk=problem_pk, visibility=Visibility.PUBLISHED).first()
        if problem is None:
            raise NotFound()
        services.problem_support(problem=problem, actor=user, support=support)
        return Response({"problem": problem.pk, "supported": support, "supporters": problem.supports.count()})


class ProblemMerge(Base):
    @extend_schema(request=MergeIn, responses={200: ProblemOut}, tags=["consultations"])
    def post(self, request, pk, problem_pk):
        user = _signed_in(request)
        c = self.consultation(request, pk)
        data = _valid(MergeIn, request)
        problem = Problem.objects.filter(consultation=c, pk=problem_pk).first()
        into = Problem.objects.filter(consultation=c, pk=data["into"]).first()
        if problem is None or into is None:
            raise NotFound()
        into = services.problem_merge(problem=problem, into=into, actor=user, reason=data["reason"])
        return Response(ProblemOut(selectors.problem_counted(c, into.pk)).data)


class AlternativeList(Base):
    @extend_schema(responses=listed("Alternative", AlternativeOut), tags=["consultations"])
    def get(self, request, pk):
        c = self.consultation(request, pk)
        alts = selectors.alternatives_for(c, request.user, moderator=rules.can("moderate", request.user, c))
        return Response({"results": AlternativeOut(alts, many=True).data})

    @extend_schema(request=AlternativeIn, responses={201: AlternativeOut}, tags=["consultations"])
    def post(self, request, pk):
        user = _signed_in(request)
        c = self.consultation(request, pk)
        alt = services.alternative_create(consultation=c, actor=user, **_valid(AlternativeIn, request))
        return Response(AlternativeOut(alt).data, status=201)


class CommentList(Base):
    @extend_schema(responses=listed("Comment", CommentOut), tags=["consultations"])
    def get(self, request, pk):
        c = self.consultation(request, pk)
        comments = selectors.comments_for(c, request.user, moderator=rules.can("moderate", request.user, c))
        return Response({"results": CommentOut(comments, many=True).data})

    @extend_schema(request=CommentIn, responses={201: CommentOut}, tags=["consultations"])
    def post(self, request, pk):
        user = _signed_in(request)
        c = self.consultation(request, pk)
        comment = services.comment_post(consultation=c, actor=user, **_valid(CommentIn, request))
        return Response(CommentOut(comment).data, status=201)


OUT = {"problem": ProblemOut, "alternative": AlternativeOut, "comment": CommentOut}


def _contribution_out(c, kind: str, item) -> dict:
    if kind == "problem":
        item = selectors.problem_counted(c, item.pk)
    return OUT[kind](item).data


class ContributionEdit(Base):
    """PATCH …/problems|alternatives|comments/<id>/: the author edits it (edit window, nobody answered)."""

    kind = "problem"

    @extend_schema(request=EditIn, responses=OpenApiTypes.OBJECT, tags=["consultations"])
    def patch(self, request, pk, object_id):
        user = _signed_in(request)
        c = self.consultation(request, pk)
        data = _valid(EditIn, request)
        item = services.contribution_edit(consultation=c, actor=user, kind=self.kind, object_id=object_id, **data)
        return Response(_contribution_out(c, self.kind, item))


class ContributionWithdraw(Base):
    """POST …/problems|alternatives|comments/<id>/withdraw/: the author withdraws it, with a reason."""

    kind = "problem"

    @extend_schema(request=WithdrawIn, responses=OpenApiTypes.OBJECT, tags=["consultations"])
    def post(self, request, pk, object_id):
        user = _signed_in(request)
        c = self.consultation(request, pk)
        data = _valid(WithdrawIn, request)
        item = services.contribution_withdraw(consultation=c, actor=user, kind=self.kind, object_id=object_id, **data)
        return Response(_contribution_out(c, self.kind, item))


class ReportCreate(Base):
    @extend_schema(request=ReportIn, responses={201: OpenApiTypes.OBJECT}, tags=["consultations"])
    def post(self, request, pk):
        user = _signed_in(request)
        c = self.consultation(request, pk)
        report = services.report_file(consultation=c, actor=user, **_valid(ReportIn, request))
        return Response({"id": report.pk}, status=201)


class ModerationView(Base):
    @extend_schema(responses=OpenApiTypes.OBJECT, tags=["consultations"])
    def get(self, request, pk):
        user = _signed_in(request)
        c = self.consultation(request, pk)
        rules.check("moderate", user, c)
        items = selectors.moderation_queue(c)
        return Response(
            {
                "results": [
                    {
                        "kind": i.kind,
                        "id": i.pk,
                        "title": getattr(i, "title", ""),
                        "body": i.body,
                        "visibility": i.visibility,
                        "reports": i.open_reports,
                        "report_reasons": [
                            {"reason_code": r.reason_code, "note": r.note, "created_at": r.created_at} for r in i.reports
                        ],
                        "reason_code": i.reason_code,
                        "created_at": i.created_at,
                        # False on what the caller wrote: another moderator decides (own_contribution_moderation)
                        "may_moderate": i.author_id != user.pk,
                    }
                    for i in items
                ]
            }
        )

    @extend_schema(request=ModerationIn, responses=OpenApiTypes.OBJECT, tags=["consultations"])
    def post(self, request, pk):
        user = _signed_in(request)
        c = self.consultation(request, pk)
        item = services.moderation_decide(consultation=c, actor=user, **_valid(ModerationIn, request))
        return Response({"kind": request.data.get("kind"), "id": item.pk, "visibility": item.visibility})


class BallotView(LaneThrottled, Base):
    """The voter's own ballot. The plain cast or change with an API token is served by the lane in
    front of Django (config/wsgi.py, ballot_put_plain below), every other request here."""

    @extend_schema(responses=OpenApiTypes.OBJECT, tags=["consultations"])
    def get(self, request, pk):
        user = _signed_in(request)
        c = self.consultation(request, pk)
        detail = selectors.detail_ballot(c, user)
        return Response(detail)

    @extend_schema(request=BallotIn, responses=OpenApiTypes.OBJECT, tags=["consultations"])
    def put(self, request, pk):
        user = _signed_in(request)
        c = self.consultation(request, pk)
        services.ballot_cast(consultation=c, actor=user, **_valid(BallotIn, request))
        return Response(selectors.detail_ballot(c, user))


def ballot_put_plain(data: dict, user_id: int, caller: Caller, pk: int) -> dict | None:
    """PUT /api/v1/consultations/<id>/ballot/ in the lane (workflows.jsonviews.TokenLane): the
    answer BallotView.put gives when the cast or change succeeds in one call, or None (nothing
    written) to let BallotView answer, with the error it gives."""
    ids = data.get("alternative_ids")
    if not isinstance(ids, list) or not 0 < len(ids) <= BALLOT_MAX or any(type(a) is not int for a in ids):
        return None
    ballot = services.ballot_cast_plain(consultation_id=pk, voter_id=user_id, wanted=ids)
    if ballot is None:
        return None
    # can_change: the call has just checked the vote rule (selectors.detail_ballot's rules.can).
    return {"voted": True, "alternative_ids": sorted(ids), "updated_at": ballot.updated_at, "can_change": True}


BALLOT_ROUTES = [TokenRoute(r"/api/v1/consultations/(?P<pk>[0-9]{1,18})/ballot/", "PUT", BallotView, ballot_put_plain)]


class ResultsView(Base):
    @extend_schema(responses=OpenApiTypes.OBJECT, tags=["consultations"])
    def get(self, request, pk):
        return Response(selectors.results(self.consultation(request, pk)))


class DecisionView(Base):
    @extend_schema(responses=OpenApiTypes.OBJECT, tags=["consultations"])
    def get(self, request, pk):
        c = self.consultation(request, pk)
        body = selectors.decision_public(c, request.user)
        if body is None:
            raise NotFound(_("No decision has been published yet."))
        return Response(body)

    @extend_schema(request=DecisionIn, responses=OpenApiTypes.OBJECT, tags=["consultations"])
    def put(self, request, pk):
        user = _signed_in(request)
        c = self.consultation(request, pk)
        services.decision_record(consultation=c, actor=user, **_valid(DecisionIn, request))
        return Response(selectors.decision_public(c, user))


class ProgressView(Base):
    @extend_schema(responses=OpenApiTypes.OBJECT, tags=["consultations"])
    def get(self, request, pk):
        c = self.consultation(request, pk)
        return Response(
            {
                "results": [
                    {"id": u.pk, "body": u.body, "percent_complete": u.percent_complete, "created_at": u.created_at}
                    for u in c.progress_updates.all()
                ]
            }
        )

    @extend_schema(request=ProgressIn, responses={201: OpenApiTypes.OBJECT}, tags=["consultations"])
    def post(self, request, pk):
        user = _signed_in(request)
        c = self.consultation(request, pk)
        u = services.progress_update_post(consultation=c, actor=user, **_valid(ProgressIn, request))
        return Response(
            {"id": u.pk, "body": u.body, "percent_complete": u.percent_complete, "created_at": u.created_at}, status=201
        )


class RecordView(Base):
    @extend_schema(responses=OpenApiTypes.OBJECT, tags=["consultations"])
    def get(self, request, pk):
        c = self.consultation(request, pk)
        return Response(selectors.participation_record(c))


def record_csv(request, pk):
    """/api/v1/consultations/<id>/record.csv: the same record as a spreadsheet (a plain Django view:
    DRF's `?format=` belongs to its renderers)."""
    from django.http import Http404

    try:
        c = selectors.consultation_get(pk, request.user)
    except NotFound:
        raise Http404 from None
    return record_csv_response(selectors.participation_record(c))


class RecordCsvView(APIView):
    """Documents `record_csv` in the OpenAPI schema (config.api.document_plain_views); the URL
    routes to the plain view."""

    permission_classes = [AllowAny]

    @extend_schema(
        responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="UTF-8 with a BOM, formula-safe")},
        tags=["consultations"],
    )
    def get(self, request, pk):
        return record_csv(request._request, pk)


record_csv.documented_by = RecordCsvView


def record_csv_response(record: dict) -> HttpResponse:
    rows = [
        [_("Topic"), record["topic"]],
        [_("Participation level"), record["level_label"]],
        [_("Channels"), "; ".join(record["channels"])],
    ]
    for s in record["dates"]["stages"]:
        rows.append([s["label"], s["scheduled_start"], s["scheduled_end"], s["opened_at"], s["closed_at"], s["early_reason"]])
    rows.append([_("Unique participants"), record["participants"]["total"]])
    if not record["participants"]["ballots_counted"]:
        rows.append([_("Voters"), _("counted when voting closes")])
    for row in record["participants"]["by_village"]:
        rows.append([_("Participants"), row["village"], row["count"]])
    if record["decision"]:
        rows.append([_("Decision"), record["decision"]["rationale"], record["decision"]["council_resolution"]])
    rows.append([])
    rows.append(["type", "id", "title", "supporters", "votes", "proposed_by", "adopted", "answer"])
    for i in record["inputs"]:
        rows.append(
            [
                i["type"], i["id"], i["title"], i.get("supporters", ""), i.get("votes"), i.get("proposed_by", ""),
                i.get("adopted", ""), i["answer"],
            ]
        )  # fmt: skip
    return csv_response(rows, filename=f"consultation-{record['id']}-record.csv")


# --- village meetings (consultations.meetings) ---------------------------------------------------------
class VillageMeetingIn(serializers.Serializer):
    held_on = serializers.DateField()
    place = serializers.CharField(max_length=200)
    attendance = serializers.IntegerField(min_value=1, max_value=1_000_000)
    method = serializers.ChoiceField(choices=VillageMeeting.Method.choices, default=VillageMeeting.Method.HANDS)
    village_number = serializers.IntegerField(required=False, allow_null=True, default=None)
    minutes = serializers.FileField()
    counts = serializers.JSONField(
        required=False, help_text='{"<alternative id>": votes}; or one form field count_<alternative id> per alternative'
    )


def _meeting_counts(data) -> dict:
    counts = data.get("counts")
    if isinstance(counts, dict):
        return counts
    return {key[len("count_") :]: value for key, value in data.items() if str(key).startswith("count_")}


class VillageMeetingView(Base):
    @extend_schema(
        request={"multipart/form-data": VillageMeetingIn}, responses={201: OpenApiTypes.OBJECT}, tags=["consultations"]
    )
    def post(self, request, pk):
        user = _signed_in(request)
        c = self.consultation(request, pk)
        data = _valid(VillageMeetingIn, request)
        data["counts"] = data["counts"] if isinstance(data.get("counts"), dict) else _meeting_counts(request.data)
        meeting = meetings.village_meeting_record(consultation=c, actor=user, **data)
        return Response({"id": meeting.pk, "results_visible": selectors.results_visible(c)}, status=201)
