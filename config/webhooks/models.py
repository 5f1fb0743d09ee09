"""Endpoints clients register, the events fired, and each delivery with its attempts."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from config.webhooks.signing import new_secret


class EventType(models.TextChoices):
    QUESTION_PUBLISHED = "question.published", "A question was published"
    QUESTION_CLOSED = "question.closed", "A question closed"
    QUESTION_RESOLVED = "question.resolved", "A question was resolved (outcome and scores)"
    QUESTION_ANNULLED = "question.annulled", "A question was annulled"
    FORECAST_MOVED = "forecast.moved", "The community forecast moved a lot within an hour"
    STORY_PUBLISHED = "story.published", "A story was published"
    STORY_CORRECTED = "story.corrected", "A story was corrected"


def new_message_id():
    return f"msg_{uuid.uuid4().hex}"


class Endpoint(models.Model):
    """An HTTPS URL a client wants events POSTed to, signed with its own secret."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.URLField(max_length=500)
    description = models.CharField(max_length=200, blank=True)
    # Empty: every event type.
    event_types = models.JSONField(default=list, blank=True)
    secret = models.CharField(max_length=64, default=new_secret, editable=False)
    is_active = models.BooleanField(default=True)
    consecutive_failures = models.PositiveIntegerField(default=0, editable=False)
    disabled_at = models.DateTimeField(null=True, blank=True, editable=False)
    disabled_reason = models.CharField(max_length=300, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "webhook endpoint"

    def __str__(self):
        return self.url

    def wants(self, event_type):
        return not self.event_types or event_type in self.event_types

    def enable(self):
        """Back on after a fix: the failure count starts again."""
        self.is_active = True
        self.consecutive_failures = 0
        self.disabled_at = None
        self.disabled_reason = ""


class Event(models.Model):
    """Something that happened, with the payload every subscriber gets."""

    message_id = models.CharField(max_length=40, unique=True, default=new_message_id)
    type = models.CharField(max_length=40, choices=EventType)
    # What it is about ("question:12"), for the admin's search.
    subject = models.CharField(max_length=80, blank=True)
    data = models.JSONField()
    # For events that happen once per subject (a question is resolved once): unique.
    once_key = models.CharField(max_length=120, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "webhook event"

    def __str__(self):
        return f"{self.type} {self.subject}"

    def body(self):
        """The JSON body POSTed: {"type", "timestamp", "data"}, as the spec suggests."""
        return {"type": self.type, "timestamp": self.created_at.isoformat(), "data": self.data}


class Delivery(models.Model):
    """One event to one endpoint: retried until it succeeds or attempts run out."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=10, choices=Status, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(fields=["event", "endpoint"], name="delivery_once"),
        ]
        indexes = [models.Index(fields=["endpoint", "-created_at"], name="delivery_endpoint_idx")]

    def __str__(self):
        return f"{self.event} → {self.endpoint}"


class Attempt(models.Model):
    """One POST of a delivery: what came back, and how long it took."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="log")
    number = models.PositiveIntegerField()
    replay = models.BooleanField(default=False)
    attempted_at = models.DateTimeField(default=timezone.now)
    status_code = models.PositiveIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(default=0)
    response_excerpt = models.TextField(blank=True)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-attempted_at", "-id"]

    def __str__(self):
        return f"#{self.number} {self.status_code or self.error}"

    @property
    def ok(self):
        return self.status_code is not None and 200 <= self.status_code < 300
