"""Topics and stories: what the newsroom publishes."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Prefetch
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone


class Topic(models.Model):
    name = models.CharField(max_length=80)
    slug = models.SlugField(max_length=80, unique=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="topic_name_unique_ci"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("news:topic", args=[self.slug])


class StoryQuerySet(models.QuerySet):
    def live(self, now=None):
        """The one definition of "public": published, and its time has come."""
        return self.filter(status=Story.Status.PUBLISHED, published_at__lte=now or timezone.now())

    def with_questions(self):
        """Topics and the reader-visible linked questions with their options, in order.

        A fixed number of queries however many questions hang on the stories; the
        questions land in `story.public_links`.
        """
        from forecasts.models import StoryQuestion

        links = (
            StoryQuestion.objects.public()
            .select_related("question__resolved_option")
            .prefetch_related("question__options")
        )
        return self.prefetch_related(
            "topics", Prefetch("links", queryset=links, to_attr="public_links")
        )


class Story(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    headline = models.CharField(max_length=255)
    slug = models.SlugField(max_length=255, unique=True)
    summary = models.TextField(blank=True)
    body = models.TextField(blank=True, help_text="Markdown. HTML is sanitised when shown.")
    source_name = models.CharField(max_length=120, blank=True)
    source_url = models.URLField(
        max_length=500, blank=True, help_text='Shown as "View original story".'
    )
    dateline = models.CharField(max_length=120, blank=True)
    topics = models.ManyToManyField(Topic, related_name="stories", blank=True)
    status = models.CharField(max_length=10, choices=Status, default=Status.DRAFT)
    published_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Readers see a published story from this time on; a future time schedules it.",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="stories",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = StoryQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-id"]
        verbose_name_plural = "stories"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["draft", "published"]),
                name="story_status_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="published") | models.Q(published_at__isnull=False),
                name="story_published_has_time",
                violation_error_message="A published story needs a publication time.",
            ),
        ]
        indexes = [
            # live() and every "latest stories" list: status filter, newest first.
            models.Index(fields=["status", "-published_at"], name="story_live_idx"),
        ]

    def __str__(self):
        return self.headline

    def get_absolute_url(self):
        return reverse("news:story", args=[self.slug])

    def clean(self):
        if self.status == self.Status.PUBLISHED and self.published_at is None:
            raise ValidationError({"published_at": "A published story needs a publication time."})

    @property
    def publication(self):
        """Draft, Scheduled or Live: what an editor needs to know at a glance."""
        if self.status == self.Status.DRAFT:
            return "Draft"
        return "Live" if self.is_live else "Scheduled"

    def publish(self, now=None):
        """Publish now, or at the future time already set (scheduling)."""
        self.status = self.Status.PUBLISHED
        if self.published_at is None:
            self.published_at = now or timezone.now()
        self.save(update_fields=["status", "published_at", "updated_at"])

    def unpublish(self):
        """Back to draft; the publication time is kept for when it is published again."""
        self.status = self.Status.DRAFT
        self.save(update_fields=["status", "updated_at"])

    @property
    def featured_link(self):
        """The first linked question; needs `with_questions()`."""
        return self.public_links[0] if self.public_links else None

    @property
    def related_links(self):
        return self.public_links[1:]

    @property
    def is_live(self):
        return (
            self.status == self.Status.PUBLISHED
            and self.published_at is not None
            and self.published_at <= timezone.now()
        )
