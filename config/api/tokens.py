"""API tokens: create (or fetch) yours with a username and password, or revoke it.

Password guesses count against the same lockout as the site's login form
(config.login_lockout).
"""

from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import permissions, serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed, Throttled
from rest_framework.response import Response
from rest_framework.views import APIView

from config.login_lockout import count_login_attempt, forget_login_attempts

TokenOut = inline_serializer("Token", {"token": serializers.CharField()})


class Credentials(serializers.Serializer):
    username = serializers.CharField(required=False)
    password = serializers.CharField(required=False, style={"input_type": "password"})


class TokenView(APIView):
    """Create (or fetch) your API token with your username and password, or revoke it."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(request=Credentials, responses={200: TokenOut})
    def post(self, request):
        user = request.user if request.user.is_authenticated else None
        if user is None:
            body = Credentials(data=request.data)
            body.is_valid(raise_exception=True)
            username = body.validated_data.get("username", "")
            try:
                count_login_attempt(request, username)
            except ValidationError as error:
                raise Throttled(detail=error.messages[0]) from None
            user = authenticate(
                request, username=username, password=body.validated_data.get("password", "")
            )
            if user is None or not user.is_active:
                raise AuthenticationFailed("Wrong username or password.")
            forget_login_attempts(request, username)
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})

    @extend_schema(request=None, responses={204: None})
    def delete(self, request):
        if not request.user.is_authenticated:
            raise AuthenticationFailed("Sign in (session or token) to revoke your token.")
        Token.objects.filter(user=request.user).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)
