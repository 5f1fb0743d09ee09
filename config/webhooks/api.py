"""/api/v1/webhooks/: a client's own endpoints (nobody sees anyone else's), and their
recent deliveries."""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from config.api.paging import TimeCursorPagination
from config.webhooks.models import Attempt, Delivery, Endpoint, EventType
from config.webhooks.transport import check_url

RECENT_DELIVERIES = 50


class EndpointSerializer(serializers.ModelSerializer):
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=EventType.choices),
        required=False,
        help_text="The events to receive; empty or left out: all of them.",
    )
    secret = serializers.CharField(
        read_only=True,
        help_text="Verify each delivery's webhook-signature with it (Standard Webhooks).",
    )
    is_active = serializers.BooleanField(
        required=False,
        help_text="Set true to turn a disabled endpoint back on (its failure count restarts).",
    )
    disabled_reason = serializers.CharField(
        read_only=True, help_text="Why it was disabled (after repeated failures); empty if not."
    )

    class Meta:
        model = Endpoint
        fields = [
            "id", "url", "description", "event_types", "secret", "is_active",
            "consecutive_failures", "disabled_at", "disabled_reason", "created_at",
        ]  # fmt: skip
        read_only_fields = ["consecutive_failures", "disabled_at", "created_at"]

    def validate_url(self, url):
        try:
            check_url(url)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from None
        return url

    def validate_event_types(self, types):
        return sorted(set(types))

    def update(self, endpoint, data):
        if data.get("is_active") and not endpoint.is_active:
            endpoint.enable()
        return super().update(endpoint, data)


class AttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = Attempt
        fields = ["number", "replay", "attempted_at", "status_code", "latency_ms",
                  "response_excerpt", "error"]  # fmt: skip


class DeliverySerializer(serializers.ModelSerializer):
    event_id = serializers.CharField(source="event.message_id", help_text="The webhook-id.")
    event_type = serializers.CharField(source="event.type")
    log = AttemptSerializer(many=True)

    class Meta:
        model = Delivery
        fields = ["id", "event_id", "event_type", "status", "attempts", "next_attempt_at",
                  "last_status_code", "created_at", "log"]  # fmt: skip


class WebhookEndpointViewSet(viewsets.ModelViewSet):
    """Your webhook endpoints: events POSTed to your HTTPS URL, signed (Standard Webhooks)."""

    serializer_class = EndpointSerializer
    permission_classes = [permissions.IsAuthenticated]
    pagination_class = TimeCursorPagination
    filter_backends = []
    queryset = Endpoint.objects.none()

    def get_queryset(self):
        return Endpoint.objects.filter(owner=self.request.user)

    def perform_create(self, serializer):
        serializer.save(owner=self.request.user)

    @extend_schema(responses=DeliverySerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)
    def deliveries(self, request, pk=None):
        """The endpoint's latest deliveries, newest first, each with its attempts."""
        endpoint = self.get_object()
        deliveries = (
            endpoint.deliveries.select_related("event")
            .prefetch_related("log")
            .order_by("-created_at", "-pk")[:RECENT_DELIVERIES]
        )
        return Response(DeliverySerializer(deliveries, many=True).data)
