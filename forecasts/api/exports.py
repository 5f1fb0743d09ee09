"""/api/v1/exports/questions.csv and .jsonl: streamed downloads (forecasts.exports) of
resolved questions by default, with the question list's filters."""

from django.http import StreamingHttpResponse
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, renderers
from rest_framework.response import Response

from forecasts import exports
from forecasts.api.views import QuestionFilter
from forecasts.models import Question


class CSVRenderer(renderers.BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data  # the view streams its own body


class JSONLinesRenderer(CSVRenderer):
    media_type = "application/jsonl"
    format = "jsonl"


class ResolvedByDefault(DjangoFilterBackend):
    """The question list's filters, with `state=resolved` unless the client says."""

    def get_filterset_kwargs(self, request, queryset, view):
        kwargs = super().get_filterset_kwargs(request, queryset, view)
        data = kwargs["data"].copy()
        data.setdefault("state", "resolved")
        kwargs["data"] = data
        return kwargs


class QuestionExport(generics.GenericAPIView):
    """Questions with outcomes and the community forecast over time, streamed."""

    queryset = Question.objects.all()
    filterset_class = QuestionFilter
    filter_backends = [ResolvedByDefault]
    pagination_class = None
    rows = None
    filename = ""

    def get_queryset(self):
        return Question.objects.visible_to(self.request.user)

    def finalize_response(self, request, response, *args, **kwargs):
        # Errors take the API's one JSON shape (config.api.errors), whatever the download.
        if isinstance(response, Response):
            request.accepted_renderer = renderers.JSONRenderer()
            request.accepted_media_type = renderers.JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)

    def get(self, request):
        questions = self.filter_queryset(self.get_queryset())
        response = StreamingHttpResponse(
            self.rows(questions), content_type=self.renderer_classes[0].media_type
        )
        response["Content-Disposition"] = f'attachment; filename="{self.filename}"'
        return response


def _schema(media_type):
    return extend_schema(
        filters=True, responses={(200, media_type): OpenApiResponse(OpenApiTypes.STR)}
    )


class QuestionCSVExport(QuestionExport):
    renderer_classes = [CSVRenderer]
    rows = staticmethod(exports.csv_rows)
    filename = "questions.csv"

    @_schema("text/csv")
    def get(self, request):
        """CSV, one row per question, snapshot and option; `state` is `resolved` unless
        given (columns: README, "Exports")."""
        return super().get(request)


class QuestionJSONLinesExport(QuestionExport):
    renderer_classes = [JSONLinesRenderer]
    rows = staticmethod(exports.jsonl_rows)
    filename = "questions.jsonl"

    @_schema("application/jsonl")
    def get(self, request):
        """JSON Lines, one question a line with its options, outcome and history; `state`
        is `resolved` unless given."""
        return super().get(request)
