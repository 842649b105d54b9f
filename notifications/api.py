"""The notifications API: my inbox, mark read, my settings, my LINE link, follow/unfollow."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from . import selectors, services
from .channels import absolute
from .models import Mode, Notification, Subscription


class NotificationSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    unread = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "event", "title", "url", "created_at", "read_at", "unread"]

    def get_url(self, obj) -> str:
        return absolute(obj.url)

    def get_unread(self, obj) -> bool:
        return obj.read_at is None


class NotificationList(generics.ListAPIView):
    """My inbox, newest first. `?unread=1` lists only unread entries."""

    serializer_class = NotificationSerializer
    permission_classes = [IsAuthenticated]
    filter_backends: list = []

    def get_queryset(self):
        qs = selectors.inbox(user=self.request.user)
        if self.request.query_params.get("unread") in ("1", "true"):
            qs = qs.filter(read_at__isnull=True)
        return qs


class UnreadCount(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=inline_serializer("UnreadCount", {"unread": serializers.IntegerField()}), tags=["notifications"])
    def get(self, request):
        return Response({"unread": selectors.unread_count(user=request.user)})


class MarkRead(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=NotificationSerializer, tags=["notifications"])
    def post(self, request, pk: int):
        notification = generics.get_object_or_404(Notification, pk=pk, user=request.user)
        services.notification_mark_read(user=request.user, ids=[notification.pk])
        notification.refresh_from_db()
        return Response(NotificationSerializer(notification).data)


class MarkAllRead(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None, responses=inline_serializer("MarkedCount", {"marked": serializers.IntegerField()}), tags=["notifications"]
    )
    def post(self, request):
        return Response({"marked": services.notification_mark_read(user=request.user)})


class PreferencesSerializer(serializers.Serializer):
    email = serializers.ChoiceField(choices=Mode.choices, required=False)
    inapp = serializers.ChoiceField(
        choices=[(Mode.IMMEDIATE.value, Mode.IMMEDIATE.label), (Mode.OFF.value, Mode.OFF.label)], required=False
    )
    line = serializers.ChoiceField(choices=Mode.choices, required=False)
    sms = serializers.ChoiceField(choices=Mode.choices, required=False)


class Preferences(APIView):
    """GET my settings per channel; PUT/PATCH {"email": "digest", "inapp": "off"}."""

    permission_classes = [IsAuthenticated]
    serializer_class = PreferencesSerializer

    @extend_schema(responses=PreferencesSerializer, tags=["notifications"])
    def get(self, request):
        return Response(selectors.preferences_of(user=request.user))

    @extend_schema(request=PreferencesSerializer, responses=PreferencesSerializer, tags=["notifications"])
    def put(self, request):
        serializer = PreferencesSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        for channel, mode in serializer.validated_data.items():
            services.preference_set(user=request.user, channel=channel, mode=mode)
        return Response(selectors.preferences_of(user=request.user))

    patch = put


class SubscriptionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Subscription
        fields = ["record_type", "record_id", "auto", "created_at"]
        read_only_fields = ["auto", "created_at"]
        validators: list = []  # uniqueness is the service's business (follow is idempotent)

    def validate_record_type(self, value):
        if value not in services.followable_types():
            raise serializers.ValidationError(_("This kind of record cannot be followed."))
        return value


class SubscriptionList(generics.ListCreateAPIView):
    """What I follow; POST {"record_type": "petitions.petition", "record_id": "12"} follows."""

    serializer_class = SubscriptionSerializer
    permission_classes = [IsAuthenticated]
    filter_backends: list = []

    def get_queryset(self):
        return selectors.subscriptions_of(user=self.request.user)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        sub = services.subscription_follow_ref(user=request.user, **serializer.validated_data)
        return Response(SubscriptionSerializer(sub).data, status=status.HTTP_201_CREATED)


class SubscriptionDetail(APIView):
    """GET whether I follow a record; PUT follows; DELETE unfollows (one click)."""

    permission_classes = [IsAuthenticated]
    serializer_class = SubscriptionSerializer

    @extend_schema(
        responses=inline_serializer(
            "FollowState",
            {
                "record_type": serializers.CharField(),
                "record_id": serializers.CharField(),
                "following": serializers.BooleanField(),
                "auto": serializers.BooleanField(),
            },
        ),
        tags=["notifications"],
    )
    def get(self, request, record_type: str, record_id: str):
        record = services.followable_record(record_type, record_id, user=request.user)
        state = selectors.follow_state(user=request.user, record=record)
        return Response({k: state[k] for k in ("record_type", "record_id", "following", "auto")})

    @extend_schema(request=None, responses=SubscriptionSerializer, tags=["notifications"])
    def put(self, request, record_type: str, record_id: str):
        sub = services.subscription_follow_ref(user=request.user, record_type=record_type, record_id=record_id)
        return Response(SubscriptionSerializer(sub).data)

    @extend_schema(request=None, responses={204: None}, tags=["notifications"])
    def delete(self, request, record_type: str, record_id: str):
        services.subscription_unfollow_ref(user=request.user, record_type=record_type, record_id=record_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class LineLinkSerializer(serializers.Serializer):
    available = serializers.BooleanField(help_text="LINE Login is set up on this site (else nobody can link)")
    linked = serializers.BooleanField()
    linked_at = serializers.DateTimeField(allow_null=True)
    line_user = serializers.CharField(help_text='The end of the LINE user id ("U…1a2b"), never the whole id; "" when not linked')
    link_url = serializers.CharField(help_text="The page a signed-in browser POSTs to (with its CSRF token) to link through LINE")


class LineLink(APIView):
    """GET my LINE link (linked? since when?); DELETE unlinks it. Linking itself happens in the
    browser, through LINE Login (POST link_url from the settings page)."""

    permission_classes = [IsAuthenticated]
    serializer_class = LineLinkSerializer

    @extend_schema(responses=LineLinkSerializer, tags=["notifications"])
    def get(self, request):
        from django.urls import reverse

        state = selectors.line_link_of(user=request.user)
        return Response({**state, "link_url": absolute(reverse("notifications:line-link"))})

    @extend_schema(request=None, responses={204: None}, tags=["notifications"])
    def delete(self, request):
        services.line_unlink(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
