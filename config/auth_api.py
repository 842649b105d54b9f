"""Token authentication for integrators and scripts; browsers use the session cookie instead.

Kept out of config/api.py, which DRF imports while it is still loading (DEFAULT_PAGINATION_CLASS)."""

from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from accounts.models import normalise_email


class ApiTokenRequest(serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)


class ApiTokenResponse(serializers.Serializer):
    token = serializers.CharField()


class TokenView(APIView):
    """POST email + password → a token for `Authorization: Token <key>`; DELETE revokes it.

    Throttled by the "token" scope (REST_FRAMEWORK.DEFAULT_THROTTLE_RATES) against password guessing."""

    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "token"

    @extend_schema(request=ApiTokenRequest, responses={200: ApiTokenResponse}, summary="Get an API token")
    def post(self, request):
        form = ApiTokenRequest(data=request.data)
        form.is_valid(raise_exception=True)
        user = authenticate(
            request, username=normalise_email(form.validated_data["email"]), password=form.validated_data["password"]
        )
        if user is None or not user.is_active:
            raise exceptions.AuthenticationFailed(_("Email or password is not correct."))
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})

    @extend_schema(request=None, responses={204: None}, summary="Revoke your API token")
    def delete(self, request):
        if not request.user.is_authenticated:
            raise exceptions.NotAuthenticated()
        Token.objects.filter(user=request.user).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)
