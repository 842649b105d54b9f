"""/api/v1/me/: who am I and my roles per organisation (tokens: config/auth_api.py, /api/v1/auth/token/);
/api/v1/privacy/notices/: the PDPA notices; /api/v1/verifications/in-person/: office staff verify a person."""

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from workflows.errors import NotFound, PermissionDenied, RateLimited, error_body

from .models import Membership, Organisation, User, VerificationLevel, normalise_email
from .privacy.notices import KINDS, notice
from .privacy.services import personal_data_export
from .services import email_confirmation_resend_own, identity_verify_in_person, may_verify_in_person


class MembershipOut(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    name = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField())


class MeOut(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    full_name = serializers.CharField()
    language = serializers.CharField()
    email_confirmed = serializers.BooleanField()
    verification_level = serializers.ChoiceField(
        choices=VerificationLevel.choices, help_text="none < email < in_person < thaid (docs/API.md#verification-levels)"
    )
    village = serializers.DictField(allow_null=True)
    organisations = MembershipOut(many=True)


def me_payload(user) -> dict:
    orgs: dict[int, dict] = {}
    for m in Membership.objects.filter(user=user).select_related("organisation").order_by("organisation_id", "role"):
        entry = orgs.setdefault(
            m.organisation_id, {"id": m.organisation_id, "slug": m.organisation.slug, "name": m.organisation.name, "roles": []}
        )
        entry["roles"].append(m.role)
    village = user.village
    return {
        "id": user.pk,
        "email": user.email,
        "full_name": user.full_name,
        "language": user.language,
        "email_confirmed": user.email_confirmed,
        "verification_level": user.verification_level,
        "village": {"id": village.pk, "number": village.number, "name": village.name, "organisation": village.organisation_id}
        if village
        else None,
        "organisations": list(orgs.values()),
    }


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="Who am I: my account and my roles per organisation", responses={200: MeOut}, tags=["accounts"])
    def get(self, request):
        return Response(me_payload(request.user))


class MeConfirmationView(APIView):
    """Send me a fresh link to confirm my email address (what the page's "send the link again" does).
    202 when it is sent; 409 `already_confirmed`; 429 `rate_limited` with Retry-After, as every
    account mail is limited (accounts/limits.py)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Send the email confirmation link again", request=None, responses={202: OpenApiTypes.OBJECT}, tags=["accounts"]
    )
    def post(self, request):
        try:
            email_confirmation_resend_own(user=request.user, address=request.META.get("REMOTE_ADDR", ""))
        except RateLimited as exc:
            response = Response(error_body(exc.code, exc.message, exc.details), status=exc.status)
            response["Retry-After"] = str(exc.details["retry_after_seconds"])
            return response
        return Response({"sent": True, "email": request.user.email}, status=202)


class MeDataView(APIView):
    """Everything held about me (PDPA): the same JSON as the privacy page's download
    (accounts.privacy.services.personal_data_export)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(summary="My personal data: everything held about me", responses={200: OpenApiTypes.OBJECT}, tags=["accounts"])
    def get(self, request):
        response = Response(personal_data_export(user=request.user))
        response["Cache-Control"] = "no-store"
        return response


class NoticeOut(serializers.Serializer):
    kind = serializers.CharField()
    title = serializers.CharField()
    purpose = serializers.CharField()
    legal_basis = serializers.CharField()
    retention = serializers.CharField()
    recipients = serializers.CharField()
    controller = serializers.CharField()
    contact = serializers.CharField()


class NoticesView(APIView):
    """The PDPA notices (accounts/privacy/notices.py), in the request's language (Accept-Language or
    ?lang= is Django's; the site is Thai first). A client that collects personal data (a LINE bot, an
    app) shows the one for what it collects, as the pages do."""

    permission_classes = [AllowAny]

    @extend_schema(summary="PDPA notices: one per point of collection", responses={200: NoticeOut(many=True)}, tags=["accounts"])
    def get(self, request):
        return Response([notice(kind).as_dict() for kind in KINDS])


class NoticeView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(summary="The PDPA notice of one point of collection", responses={200: NoticeOut}, tags=["accounts"])
    def get(self, request, kind: str):
        if kind not in KINDS:
            raise NotFound(_("There is no such notice."), details={"kinds": list(KINDS)})
        return Response(notice(kind).as_dict())


class InPersonRequest(serializers.Serializer):
    organisation = serializers.SlugField(help_text="slug of the organisation whose office verified the person")
    email = serializers.EmailField(help_text="the person's account")
    national_id = serializers.CharField(max_length=40, help_text="13 digits from the ID card; only its keyed hash is kept")
    id_card_seen = serializers.BooleanField(help_text="must be true: the clerk saw the person's ID card")


class InPersonOut(serializers.Serializer):
    user = serializers.IntegerField()
    verification_level = serializers.ChoiceField(choices=VerificationLevel.choices)
    verified_at = serializers.DateTimeField()
    verified_by = serializers.CharField(help_text="the clerk's pseudonym, as in the audit trail")


class InPersonVerificationView(APIView):
    """A clerk or admin of the organisation records that they saw the person's ID card. Audited
    (identity_verified: who, when, where). 403 for anyone else; 404 for an unknown account or
    organisation; 409 national_id_taken / national_id_mismatch."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Verify a person in person at the office (staff)",
        request=InPersonRequest,
        responses={201: InPersonOut},
        tags=["accounts"],
    )
    def post(self, request):
        from workflows.services import actor_pseudonym

        body = InPersonRequest(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        organisation = Organisation.objects.filter(slug=data["organisation"]).first()
        if organisation is None:
            raise NotFound(_("There is no such organisation."))
        if not may_verify_in_person(request.user, organisation):  # before saying whether the account exists
            raise PermissionDenied(
                _("Only office staff (a clerk or an administrator) of this organisation can verify identities.")
            )
        person = User.objects.filter(email=normalise_email(data["email"]), erased_at__isnull=True).first()
        if person is None:
            raise NotFound(_("No account has this email address. Ask the person to register first."))
        record = identity_verify_in_person(
            actor=request.user, user=person, organisation=organisation, national_id=data["national_id"],
            id_card_seen=data["id_card_seen"],
        )  # fmt: skip
        out = {
            "user": person.pk, "verification_level": person.verification_level, "verified_at": record.verified_at,
            "verified_by": actor_pseudonym(request.user),
        }  # fmt: skip
        return Response(InPersonOut(out).data, status=201)
