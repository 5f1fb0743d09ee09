"""/api/v1/ routes, the token endpoint, and the schema and its docs."""

from django.urls import include, path, re_path
from django.views.decorators.csp import csp_override
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from config.api import schema  # noqa: F401  (registers the schema's extensions)
from config.api.tokens import TokenView
from config.webhooks.api import WebhookEndpointViewSet
from forecasts.api.exports import QuestionCSVExport, QuestionJSONLinesExport
from forecasts.api.views import ForecastViewSet, QuestionViewSet
from news.api import StoryViewSet, TopicViewSet


# The trailing slash is optional: a POST to /api/v1/questions (no slash) is answered as
# itself, never redirected (a redirect would drop its body). The schema lists each path
# once, with the slash (config.api.schema.one_path_per_route).
class OptionalSlashRouter(DefaultRouter):
    def __init__(self):
        super().__init__()
        self.trailing_slash = "/?"  # DRF's own argument only takes "/" or nothing


router = OptionalSlashRouter()
router.include_format_suffixes = False  # one URL per resource: JSON only
router.register("topics", TopicViewSet)
router.register("stories", StoryViewSet)
router.register("questions", QuestionViewSet)
router.register("forecasts", ForecastViewSet, basename="forecast")
router.register("webhooks", WebhookEndpointViewSet, basename="webhook")

# Swagger UI's page carries an inline bootstrap script; only that page may run it.
DOCS_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'", "'unsafe-inline'"],
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:"],
}

urlpatterns = [
    re_path(r"^v1/auth/token/?$", TokenView.as_view(), name="api-token"),
    path("v1/exports/questions.csv", QuestionCSVExport.as_view(), name="export-csv"),
    path("v1/exports/questions.jsonl", QuestionJSONLinesExport.as_view(), name="export-jsonl"),
    path("v1/", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path(
        "docs/",
        csp_override(DOCS_CSP)(SpectacularSwaggerView.as_view(url_name="api-schema")),
        name="api-docs",
    ),
]
