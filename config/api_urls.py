"""/api/v1/ routes, the token endpoints, and the schema and its docs."""

from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.urls import include, path
from django.views.decorators.csp import csp_override
from drf_spectacular.utils import extend_schema, inline_serializer
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework import permissions, serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed, Throttled
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter
from rest_framework.views import APIView

from forecasts.accounts import check_login_allowed, record_login_failure
from forecasts.api.views import ForecastViewSet, QuestionViewSet
from news.api import StoryViewSet, TopicViewSet

router = DefaultRouter()
router.include_format_suffixes = False  # one URL per resource: JSON only
router.register("topics", TopicViewSet)
router.register("stories", StoryViewSet)
router.register("questions", QuestionViewSet)
router.register("forecasts", ForecastViewSet, basename="forecast")

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
                check_login_allowed(request, username)
            except ValidationError as error:
                raise Throttled(detail=error.messages[0]) from None
            user = authenticate(
                request, username=username, password=body.validated_data.get("password", "")
            )
            if user is None or not user.is_active:
                record_login_failure(request, username)
                raise AuthenticationFailed("Wrong username or password.")
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})

    @extend_schema(request=None, responses={204: None})
    def delete(self, request):
        if not request.user.is_authenticated:
            raise AuthenticationFailed("Sign in (session or token) to revoke your token.")
        Token.objects.filter(user=request.user).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


# Swagger UI's page carries an inline bootstrap script; only that page may run it.
DOCS_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'", "'unsafe-inline'"],
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:"],
}

urlpatterns = [
    path("v1/auth/token/", TokenView.as_view(), name="api-token"),
    path("v1/", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path(
        "docs/",
        csp_override(DOCS_CSP)(SpectacularSwaggerView.as_view(url_name="api-schema")),
        name="api-docs",
    ),
]
