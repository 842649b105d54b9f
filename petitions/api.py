"""Petitions API (/api/v1/). Moves use the engine's generic endpoint
/api/v1/petitions/<id>/transitions/<name>/ (open, reject, hide, respond, submit, consider, decide …).

Signing answers (documented in docs/API.md via the schema):
  201 {"outcome": "created"}      a pending signature; the confirmation mail is on its way
  200 {"outcome": "resent"}       the email already had a pending signature; its mail was sent again
  200 {"outcome": "pending"}      the same, mailed moments ago (nothing sent, nothing created)
  409 already_signed              a confirmed signature exists for this (folded) email and name, or national ID
  409 household_full / household_other_village   the address's household limit or village
  429 rate_limited                per-IP or per-petition limit (details.retry_after_seconds)
Confirming is idempotent: 200 with "already_confirmed": true the second time.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field, inline_serializer
from rest_framework import generics, serializers
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Organisation
from workflows.attachments_api import WithAttachments
from workflows.errors import NotFound, PermissionDenied, ValidationFailed
from workflows.filters import days_since, openapi_parameters
from workflows.jsonviews import Caller, JsonEndpoint
from workflows.paging import paginate, whole_number
from workflows.parsers import WholeNumberField

from . import rules, selectors, services, siglog
from .filters import PetitionFilter
from .models import AddressFlag, Petition, RejectionCode, SignatureLogEvent, SignatureLogHead


def _body(request) -> dict:
    data = request.data
    if not hasattr(data, "get"):
        raise ValidationFailed(_("Send a JSON object."), code="malformed_request")
    return data


def _visible_petition(pk: int, user) -> Petition:
    petition = Petition.objects.select_related("author", "organisation").filter(pk=pk).first()
    if petition is None or not rules.can_see(petition, user):
        raise NotFound(_("There is no such petition."))
    return petition


class PetitionSerializer(serializers.ModelSerializer):
    state_label = serializers.CharField(source="get_state_display", read_only=True)
    response_state_label = serializers.CharField(source="get_response_state_display", read_only=True)
    author_name = serializers.SerializerMethodField()
    signatures = serializers.SerializerMethodField()
    rejection = serializers.SerializerMethodField()
    response = serializers.SerializerMethodField()
    council_outcome = serializers.SerializerMethodField()
    municipal_edit = serializers.SerializerMethodField()
    text_withheld = serializers.SerializerMethodField(
        help_text="rejected or hidden for libel, offence, personal data or advertising: the public gets the title "
        "“Text withheld” and empty body and background, with `rejection` saying why (staff and the author read the text)"
    )
    waiting_since = serializers.SerializerMethodField(help_text="with ?waiting=: since when it waits")
    days_waited = serializers.SerializerMethodField(help_text="with ?waiting=: whole days waited so far")
    village_signatures = serializers.SerializerMethodField(
        help_text="with ?village=N: confirmed signatures (online and counted paper) from หมู่ที่ N"
    )

    class Meta:
        model = Petition
        fields = [
            "id", "organisation", "kind", "title", "body", "background", "state", "state_label", "response_state",
            "response_state_label", "author_name", "sponsors_required", "response_threshold", "council_threshold",
            "opened_at", "closes_at", "closed_at", "response_threshold_reached_at", "council_threshold_reached_at",
            "report_due_at", "submitted_at", "council_due_at", "signatures", "rejection", "response", "council_outcome",
            "version", "waiting_since", "days_waited", "village_signatures", "text_withheld", "municipal_edit",
        ]  # fmt: skip

    def to_representation(self, instance):
        request = self.context.get("request")
        selectors.withhold_for(instance, getattr(request, "user", None))  # the placeholder, for who may not read it
        return super().to_representation(instance)

    def get_text_withheld(self, obj) -> bool:
        return obj.text_withheld

    @extend_schema_field(
        inline_serializer(
            "MunicipalEdit", {"edited_at": serializers.DateTimeField(), "reason": serializers.CharField()}, allow_null=True
        )
    )
    def get_municipal_edit(self, obj):
        """A moderator corrected the text ("edited by the municipality"): when and why."""
        if obj.municipal_edit_at is None:
            return None
        return {"edited_at": obj.municipal_edit_at, "reason": obj.municipal_edit_reason}

    def get_waiting_since(self, obj) -> dt.datetime | None:
        return getattr(obj, "waiting_since", None)

    def get_days_waited(self, obj) -> int | None:
        return days_since(getattr(obj, "waiting_since", None), self.context.get("now") or timezone.now())

    def get_village_signatures(self, obj) -> int | None:
        return getattr(obj, "village_signatures", None)

    def get_author_name(self, obj) -> str:
        return obj.author.full_name or _("a resident")

    def get_signatures(self, obj) -> dict:
        totals = self.context.get("totals")
        if totals is not None:
            return {"confirmed": totals.get(obj.pk, 0)}
        counts = selectors.petition_counts(obj.pk)
        return {
            "confirmed": counts.total,
            "by_village": [{"village": n, "count": c} for n, c in sorted(counts.villages.items())],
            "by_hour": [{"hour": h.isoformat(), "count": c} for h, c in counts.hours],
        }

    def get_rejection(self, obj) -> dict | None:
        if not obj.rejection_code:
            return None
        return {
            "code": obj.rejection_code,
            "label": str(RejectionCode(obj.rejection_code).label),
            "reason": obj.rejection_reason,
        }

    def get_response(self, obj) -> dict | None:
        response = getattr(obj, "response", None) if obj.response_state == "responded" else None
        return {"text": response.text, "published_at": response.published_at} if response else None

    def get_council_outcome(self, obj) -> dict | None:
        outcome = getattr(obj, "council_outcome", None) if obj.state == "decided" else None
        if outcome is None:
            return None
        return {
            "decision": outcome.decision,
            "decision_label": outcome.get_decision_display(),
            "summary": outcome.summary,
            "meeting": outcome.meeting,
            "decided_on": outcome.decided_on,
        }


class PetitionCreateRequest(serializers.Serializer):
    organisation = serializers.SlugField(required=False, help_text="organisation slug; default: the only/first one")
    kind = serializers.CharField(max_length=20)
    title = serializers.CharField(max_length=200)
    body = serializers.CharField(max_length=5000)
    background = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class PetitionList(generics.ListCreateAPIView):
    """Petitions the caller may see (public ones, their own, and all of their organisations),
    searched, filtered and sorted by petitions.filters.PetitionFilter (docs/API.md#search-filters-and-sorting)."""

    serializer_class = PetitionSerializer
    permission_classes = [AllowAny]
    filter_backends: list = []  # PetitionFilter runs in list(): its 400s name the allowed values

    def get_queryset(self):
        return selectors.petitions_visible_to(self.request.user)

    @extend_schema(parameters=openapi_parameters(PetitionFilter))
    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)

    def list(self, request, *args, **kwargs):
        petitions = PetitionFilter(request.query_params, queryset=self.get_queryset(), request=request)
        queryset, ordering = petitions.validated()
        paginator, page = paginate(request, self, queryset, ordering)
        totals = selectors.totals_for([p.pk for p in page])
        context = {"request": request, "totals": totals, "now": timezone.now()}
        return paginator.get_paginated_response(PetitionSerializer(page, many=True, context=context).data)

    @extend_schema(request=PetitionCreateRequest, responses={201: PetitionSerializer})
    def post(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            raise PermissionDenied(_("Sign in to do this."), code="not_authenticated")
        body = PetitionCreateRequest(data=_body(request))
        body.is_valid(raise_exception=True)
        data = body.validated_data
        slug = data.get("organisation")
        organisation = Organisation.objects.filter(slug=slug).first() if slug else Organisation.objects.order_by("pk").first()
        if organisation is None:
            raise ValidationFailed(details={"organisation": [_("Unknown organisation.")]})
        petition = services.petition_create(
            organisation=organisation, author=request.user, kind=data["kind"], title=data["title"],
            body=data["body"], background=data.get("background", ""),
        )  # fmt: skip
        return Response(PetitionSerializer(petition, context={"request": request}).data, status=201)


class PetitionDetailSerializer(WithAttachments, PetitionSerializer):
    class Meta(PetitionSerializer.Meta):
        fields = [*PetitionSerializer.Meta.fields, "attachments"]


class PetitionEditRequest(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    body = serializers.CharField(max_length=5000, required=False)
    background = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    reason = serializers.CharField(
        max_length=500, required=False, allow_blank=True, help_text="required of a moderator's correction; shown publicly"
    )
    expected_version = serializers.IntegerField(required=False, min_value=0, max_value=2**31)


class PetitionDetail(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses={200: PetitionDetailSerializer})
    def get(self, request, pk: int):
        petition = _visible_petition(pk, request.user)
        return Response(PetitionDetailSerializer(petition, context={"request": request}).data)

    @extend_schema(
        request=PetitionEditRequest,
        description=(
            "Edit the text (title, body, background). The author: until the petition is sponsored "
            "(409 petition_not_editable after). A moderator of its organisation: in any state, with a "
            "`reason` (a correction, shown publicly as edited by the municipality); never on a petition "
            "they started (403 own_contribution_moderation). Audited with the text's SHA-256 before and after."
        ),
        responses={
            200: PetitionDetailSerializer,
            400: OpenApiResponse(description="invalid"),
            401: OpenApiResponse(description="not_authenticated"),
            403: OpenApiResponse(description="forbidden, own_contribution_moderation"),
            404: OpenApiResponse(description="not_found"),
            409: OpenApiResponse(description="petition_not_editable, conflict"),
        },
        tags=["petitions"],
    )
    def patch(self, request, pk: int):
        if not request.user.is_authenticated:
            raise PermissionDenied(_("Sign in to do this."), code="not_authenticated")
        petition = _visible_petition(pk, request.user)
        body = PetitionEditRequest(data=_body(request))
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        reason, expected = data.pop("reason", ""), data.pop("expected_version", None)
        petition = services.petition_edit(
            petition=petition, actor=request.user, values=data, reason=reason, expected_version=expected
        )
        return Response(PetitionDetailSerializer(petition, context={"request": request}).data)


COUNT_RESULT = inline_serializer(
    "PetitionCount",
    {
        "petition": serializers.IntegerField(),
        "count": serializers.IntegerField(help_text="confirmed signatures"),
        "response_threshold": serializers.IntegerField(allow_null=True, help_text="none for an ordinance initiative"),
        "council_threshold": serializers.IntegerField(help_text="the target the page's bar shows"),
        "state": serializers.CharField(),
        "accepting_signatures": serializers.BooleanField(),
        "as_of": serializers.DateTimeField(help_text="when the count was read (at most COUNTS_TTL seconds ago)"),
    },
)


class PetitionCount(APIView):
    """GET /api/v1/petitions/<id>/count/: the light count for widgets and other sites. Public
    petitions only; no authentication; answered from a cache of a few seconds (selectors.count_snapshot:
    no query at all while cached), with Cache-Control: public, max-age of the same seconds."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(responses={200: COUNT_RESULT, 404: OpenApiResponse(description="not_found")}, tags=["petitions"])
    def get(self, request, pk: int):
        snapshot = selectors.count_snapshot(pk)
        if snapshot is None:
            raise NotFound(_("There is no such petition."))
        response = Response(snapshot)
        patch_cache_control(response, public=True, max_age=selectors.COUNTS_TTL)
        return response


class SignRequest(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    email = serializers.EmailField()
    village = WholeNumberField(help_text="village number (หมู่ที่), a whole number: 3.5, 3.0 and 1e0 are refused")
    consent = serializers.BooleanField()
    national_id = serializers.CharField(required=False, help_text="13 digits; local ordinance initiatives only")
    notify_outcome = serializers.BooleanField(
        required=False, default=True, help_text="email the signer the petition's outcome (response, council, decision)"
    )


def sign(data: dict, caller: Caller, pk: int):
    """POST /api/v1/petitions/<id>/signatures/: the hot path (workflows.jsonviews). No session or
    authentication lookup; the rate limits are the organisation's petition policy (per IP and per
    petition), not DRF's generic throttles."""
    signature, outcome = services.signature_sign(
        petition_id=pk,
        name=data.get("name"),
        email=data.get("email"),
        village_number=data.get("village"),
        consent=data.get("consent"),
        national_id=data.get("national_id") or "",
        ip=caller.ip,
        language=caller.language,
        notify_outcome=data.get("notify_outcome"),
    )
    if outcome == "created":
        message = _("Check your email and press the button in our message to confirm your signature.")
    elif outcome == "resent":
        message = _("You have already started signing; we sent the confirmation email again.")
    else:
        message = _("You have already started signing; check your email to confirm.")
    return {"outcome": outcome, "state": signature.state, "message": message}, 201 if outcome == "created" else 200


class SignView(APIView):
    """Documents `sign` in the OpenAPI schema (config.api.document_plain_views); the URL routes to
    the plain view. Calling it runs the same view."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []

    @extend_schema(
        request=SignRequest,
        description=(
            "Personal data (PDPA): before the signer sends this, show them the notice from "
            "`GET /api/v1/privacy/notices/signature/` (`signature_ordinance/` for a local ordinance initiative), "
            "in their language: why the name, email, village (and national ID) are collected, the legal basis, "
            "how long they are kept (deleted PDPA_SIGNATURE_RETENTION_DAYS after the petition ends; counts stay) "
            "and who receives them. `consent` must be true. Emails and ID numbers are never published."
        ),
        responses={
            201: inline_serializer("SignResult", {"outcome": serializers.CharField(), "state": serializers.CharField()}),
            200: OpenApiResponse(description="already pending: mail re-sent (or sent moments ago)"),
            400: OpenApiResponse(description="invalid"),
            404: OpenApiResponse(description="not_found"),
            409: OpenApiResponse(description="already_signed, household_full, household_other_village or signing_closed"),
            429: OpenApiResponse(description="rate_limited"),
        },
        tags=["petitions"],
    )
    def post(self, request, pk: int):
        return SIGN.view(request._request, pk=pk)


SIGN = JsonEndpoint(sign, documented_by=SignView)


CONFIRM_RESULT = inline_serializer(
    "ConfirmResult", {"state": serializers.CharField(), "already_confirmed": serializers.BooleanField()}
)
INVALIDATE_RESULT = inline_serializer(
    "InvalidateResult",
    {
        "invalidated": serializers.IntegerField(),
        "confirmed": serializers.IntegerField(help_text="how many of them had been confirmed (and counted)"),
        "count_before": serializers.IntegerField(),
        "count_after": serializers.IntegerField(),
        "signatures": serializers.IntegerField(help_text="the petition's confirmed count now"),
    },
)


class TokenRequest(serializers.Serializer):
    token = serializers.CharField(max_length=200)


def _clean_token(token) -> str:
    if not isinstance(token, str) or not token.strip() or len(token) > 200:
        raise ValidationFailed(details={"token": [_("This field is required.")]})
    return token


def _token(request) -> str:
    return _clean_token(_body(request).get("token"))


def confirm(data: dict, caller: Caller):
    """POST /api/v1/signatures/confirm/ with the mailed token: the hot path's second request.
    Tokens carry a 160-bit HMAC checked before any database read, so no throttle is needed."""
    signature, already = services.signature_confirm(token=_clean_token(data.get("token")))
    message = _("You had already confirmed this signature.") if already else _("Thank you: your signature is confirmed.")
    return {"state": signature.state, "already_confirmed": already, "petition": signature.petition_id, "message": message}, 200


class ConfirmView(APIView):
    """Documents `confirm` in the OpenAPI schema; the URL routes to the plain view."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []

    @extend_schema(request=TokenRequest, responses={200: CONFIRM_RESULT}, tags=["petitions"])
    def post(self, request):
        return CONFIRM.view(request._request)


CONFIRM = JsonEndpoint(confirm, documented_by=ConfirmView)
# The WSGI lane in front of Django (config/wsgi.py) serves JSON requests to these two directly.
HOT_ROUTES = [(r"/api/v1/petitions/(?P<pk>[0-9]{1,18})/signatures/", SIGN), (r"/api/v1/signatures/confirm/", CONFIRM)]


class WithdrawView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        request=TokenRequest,
        responses={200: inline_serializer("WithdrawResult", {"state": serializers.CharField()})},
        tags=["petitions"],
    )
    def post(self, request):
        signature = services.signature_withdraw(token=_token(request))
        return Response(
            {"state": signature.state, "petition": signature.petition_id, "message": _("Your signature is withdrawn.")}
        )


class SponsorView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        request=TokenRequest,
        responses={200: inline_serializer("SponsorResult", {"sponsors": serializers.IntegerField()})},
        tags=["petitions"],
    )
    def post(self, request, pk: int):
        _sponsor, created = services.sponsor_add(petition_id=pk, user=request.user, token=_token(request))
        petition = Petition.objects.get(pk=pk)
        return Response(
            {
                "created": created,
                "sponsors": petition.sponsor_count(),
                "sponsors_required": petition.sponsors_required,
                "state": petition.state,
            },
            status=201 if created else 200,
        )  # fmt: skip


class InvalidateRequest(serializers.Serializer):
    reason = serializers.CharField(max_length=4000)
    email_domain = serializers.CharField(max_length=253, required=False, allow_blank=True, default="")
    ip_hash = serializers.RegexField(r"^[0-9a-fA-F]{64}$", required=False, allow_blank=True, default="")
    created_from = serializers.DateTimeField(required=False, allow_null=True, default=None)
    created_to = serializers.DateTimeField(required=False, allow_null=True, default=None)
    confirm = serializers.BooleanField(required=False, default=False, help_text="true, or 400 confirmation_required")


class InvalidateView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(request=InvalidateRequest, responses={200: INVALIDATE_RESULT}, tags=["petitions"])
    def post(self, request, pk: int):
        petition = _visible_petition(pk, request.user)
        if not rules.can_review_signatures(petition, request.user):
            raise PermissionDenied()
        body = InvalidateRequest(data=_body(request))
        body.is_valid(raise_exception=True)
        data = body.validated_data
        result = services.signatures_invalidate(petition=petition, actor=request.user, **data)
        return Response(result | {"signatures": selectors.petition_counts(pk, fresh=True).total})


# --- busy addresses: the staff review queue (moderators and admins of the petition's organisation)
def _pairs(name: str, key: str, field):
    return inline_serializer(name, {key: field, "count": serializers.IntegerField()}, many=True)


class AddressFlagSerializer(serializers.Serializer):
    """A flagged address (keyed hash only) and the pattern of its signatures (selectors.FlagPattern)."""

    id = serializers.IntegerField(source="flag.pk")
    petition = serializers.IntegerField(source="flag.petition_id")
    petition_title = serializers.CharField(source="flag.petition.title")
    ip_hash = serializers.CharField(source="flag.ip_hash")
    state = serializers.ChoiceField(source="flag.state", choices=AddressFlag.State.choices)
    flagged_at = serializers.DateTimeField(source="flag.flagged_at")
    reviewed_at = serializers.DateTimeField(source="flag.reviewed_at", allow_null=True)
    signatures = serializers.IntegerField(help_text="pending + confirmed")
    confirmed = serializers.IntegerField()
    pending = serializers.IntegerField()
    ended = serializers.IntegerField(help_text="invalidated or withdrawn")
    first_seen = serializers.DateTimeField(allow_null=True)
    last_seen = serializers.DateTimeField(allow_null=True)
    span_seconds = serializers.SerializerMethodField()
    villages = serializers.SerializerMethodField()
    email_domains = serializers.SerializerMethodField()
    per_minute = serializers.SerializerMethodField()

    def get_span_seconds(self, obj) -> int:
        return int(obj.span.total_seconds())

    @extend_schema_field(_pairs("FlagVillage", "village", serializers.IntegerField()))
    def get_villages(self, obj):
        return [{"village": n, "count": c} for n, c in obj.villages]

    @extend_schema_field(_pairs("FlagDomain", "domain", serializers.CharField()))
    def get_email_domains(self, obj):
        return [{"domain": d, "count": c} for d, c in obj.domains]

    @extend_schema_field(_pairs("FlagMinute", "minute", serializers.DateTimeField()))
    def get_per_minute(self, obj):
        return [{"minute": m.isoformat(), "count": c} for m, c in obj.minutes]


class AddressFlagList(APIView):
    """GET /api/v1/address-flags/?state=open&petition=<id>: the busy addresses waiting for review
    (state: open, cleared, invalidated or "all"), newest first, at most 100."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[
            OpenApiParameter("state", str, enum=[*AddressFlag.State.values, "all"], description="default: open"),
            OpenApiParameter("petition", int),
        ],
        responses={200: AddressFlagSerializer(many=True), 400: OpenApiResponse(description="invalid")},
        tags=["petitions"],
    )
    def get(self, request):
        state = request.query_params.get("state") or AddressFlag.State.OPEN
        petition = request.query_params.get("petition") or None
        errors = {}
        if state not in [*AddressFlag.State.values, "all"]:
            errors["state"] = [_("Choose one of: %(codes)s") % {"codes": ", ".join([*AddressFlag.State.values, "all"])}]
        if petition is not None and not (petition.isdigit() and len(petition) <= 18):
            errors["petition"] = [_("A petition number.")]
        if errors:
            raise ValidationFailed(details=errors)
        if not selectors.review_organisations(request.user):
            raise PermissionDenied()
        rows = selectors.address_flags(
            request.user, state="" if state == "all" else state, petition_id=int(petition) if petition else None
        )
        return Response(AddressFlagSerializer(rows, many=True).data)


class FlagInvalidateRequest(serializers.Serializer):
    reason = serializers.CharField(max_length=4000, help_text="kept in the audit trail")


class FlagClearRequest(serializers.Serializer):
    reason = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")


class AddressFlagInvalidate(APIView):
    """POST /api/v1/address-flags/<id>/invalidate/ {"reason"}: invalidate every pending and
    confirmed signature from the address on its petition (audited with the counts before/after)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=FlagInvalidateRequest, responses={200: INVALIDATE_RESULT}, tags=["petitions"])
    def post(self, request, pk: int):
        body = FlagInvalidateRequest(data=_body(request))
        body.is_valid(raise_exception=True)
        result = services.address_flag_invalidate(flag_id=pk, actor=request.user, reason=body.validated_data["reason"])
        petition_id = AddressFlag.objects.values_list("petition_id", flat=True).get(pk=pk)
        return Response(result | {"signatures": selectors.petition_counts(petition_id, fresh=True).total})


class AddressFlagClear(APIView):
    """POST /api/v1/address-flags/<id>/clear/ {"reason"}: the signatures stand (audited)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=FlagClearRequest,
        responses={200: inline_serializer("ClearResult", {"id": serializers.IntegerField(), "state": serializers.CharField()})},
        tags=["petitions"],
    )
    def post(self, request, pk: int):
        body = FlagClearRequest(data=_body(request))
        body.is_valid(raise_exception=True)
        flag = services.address_flag_clear(flag_id=pk, actor=request.user, reason=body.validated_data["reason"])
        return Response({"id": flag.pk, "state": flag.state})


# --- the signature log and receipts (petitions.siglog, docs/AUDIT.md) ------------------------------
class SignatureLogEntryOut(serializers.Serializer):
    position = serializers.IntegerField()
    event = serializers.ChoiceField(choices=SignatureLogEvent.choices)
    receipt = serializers.CharField()
    village = serializers.IntegerField()
    prev_hash = serializers.CharField()
    hash = serializers.CharField()


class SignatureLogView(APIView):
    """A petition's signature log, in position order: no personal data (a signature is its receipt
    and village). Page with ?after=<last position seen> and follow `next`."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        summary="A petition's signature log (append-only, hash-linked)",
        parameters=[
            OpenApiParameter("after", int, description="positions after this one (default 0: from the start)"),
            OpenApiParameter("page_size", int, description="entries per page, at most 1000"),
        ],  # a value out of range is a 400 (the default 400 of every operation, config.api)
        responses={
            200: inline_serializer(
                "SignatureLogPage",
                {
                    "petition": serializers.IntegerField(),
                    "entries": serializers.IntegerField(help_text="entries in the log now"),
                    "next": serializers.CharField(allow_null=True),
                    "results": SignatureLogEntryOut(many=True),
                },
            ),
            404: OpenApiResponse(description="not_found"),
        },
        tags=["audit"],
    )
    def get(self, request, pk: int):
        if not Petition.objects.filter(pk=pk).exists():
            raise NotFound(_("There is no such petition."))
        after = whole_number(request.query_params, "after", default=0, low=0, high=2**31 - 1)  # refused, never bent
        limit = whole_number(request.query_params, "page_size", default=1000, high=1000)
        rows, more = siglog.entries_page(pk, after=after, limit=limit)
        head = SignatureLogHead.objects.filter(petition_id=pk).first()
        following = f"/api/v1/petitions/{pk}/signature-log/?after={rows[-1]['position']}&page_size={limit}" if more else None
        return Response({"petition": pk, "entries": head.entries if head else 0, "next": following, "results": rows})


class ReceiptView(APIView):
    """Paste a receipt: the petition whose log holds it, its positions there, whether it counts now,
    and the first checkpoint on the audit chain that covers it. Nothing about who signed."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Check a signature receipt",
        responses={
            200: inline_serializer(
                "SignatureReceipt",
                {
                    "receipt": serializers.CharField(),
                    "petition": inline_serializer(
                        "SignatureReceiptPetition",
                        {"id": serializers.IntegerField(), "title": serializers.CharField(), "url": serializers.CharField()},
                    ),
                    "entries": inline_serializer(
                        "SignatureReceiptEntry",
                        {"position": serializers.IntegerField(), "event": serializers.CharField()},
                        many=True,
                    ),
                    "counted": serializers.BooleanField(),
                    "checkpoint": serializers.DictField(allow_null=True),
                },
            ),
            404: OpenApiResponse(description="not_found: not in any petition's log (yet: logs are sealed hourly)"),
        },
        tags=["petitions"],
    )
    def get(self, request, receipt: str):
        found = siglog.receipt_lookup(receipt)
        if found is None:
            raise NotFound(
                _("This receipt is not in any petition's signature log yet. Logs are sealed at least hourly."),
                code="receipt_not_found",
            )
        return Response(found)
