"""Topics and stories: what the newsroom publishes."""

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone

from config import cdn
from config.languages import default_language, language_choices, text_direction
from config.search import search_vector, text_search
from config.text import visible_text
from config.times import storable_time
from news import images


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

    def surrogate_keys(self):
        """What a change to the topic must purge from the CDN (config.cdn)."""
        return [cdn.TOPICS]


# The index and the query must use the very same expression for PostgreSQL to use the index.
STORY_SEARCH_VECTOR = search_vector("headline", "summary", "body")


class StoryQuerySet(models.QuerySet):
    def search(self, query):
        return text_search(self, query, STORY_SEARCH_VECTOR, ["headline", "summary", "body"])

    def visible_to(self, user):
        """What `user` may see: drafts and scheduled stories too for those who may view
        them in the admin (editors), else live()."""
        return self if Story.shows_unpublished_to(user) else self.live()

    def live(self, now=None):
        """The one definition of "public": published, and its time has come."""
        return self.filter(status=Story.Status.PUBLISHED, published_at__lte=now or timezone.now())

    def scheduled(self, now=None):
        """Published, with a publication time still to come."""
        return self.filter(status=Story.Status.PUBLISHED, published_at__gt=now or timezone.now())

    def in_review(self):
        """Submitted for review and waiting for an editor (config.workflow)."""
        return self.filter(status=Story.Status.IN_REVIEW)

    def for_page(self):
        """The byline, topics and corrections a story page shows; its questions come from
        forecasts.models.with_questions()."""
        return self.select_related("author").prefetch_related("topics", "corrections")


class Story(models.Model):
    class Change(models.TextChoices):
        """What a change to a live story's headline or body is (check_change)."""

        UPDATE = "update", "An update or a typo fix: nothing public is added"
        CORRECTION = "correction", "A correction: readers see a note at the foot of the story"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_REVIEW = "in_review", "In review"
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
    language = models.CharField(
        max_length=16,
        choices=language_choices,
        default=default_language,
        blank=True,  # blank means the site's own language (save() fills it in)
        help_text="The language the story is written in; Arabic, Hebrew, Persian and Urdu "
        "read right to left.",
    )
    image = images.LeadImageField(
        "lead image",
        upload_to="stories/%Y/%m/",
        blank=True,
        width_field="image_width",
        height_field="image_height",
        validators=[images.validate_new_upload],
        help_text="JPEG, PNG or WebP; readers get it resized to their screen.",
    )
    image_width = models.PositiveIntegerField(null=True, blank=True, editable=False)
    image_height = models.PositiveIntegerField(null=True, blank=True, editable=False)
    image_alt = models.CharField(
        "alt text",
        max_length=300,
        blank=True,
        help_text="What the image shows, for readers who cannot see it. Required with an image.",
    )
    image_caption = models.CharField("caption", max_length=300, blank=True)
    image_credit = models.CharField("credit", max_length=120, blank=True)
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
    is_demo = models.BooleanField(
        "demo",
        default=False,
        help_text="Invented by `manage.py load_demo` to show the site at work: not reporting.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Renditions of the lead image (news.images): WebP for srcset, a JPEG fallback, and
    # the crop link previews use. Made when a new image is saved; not database columns.
    image_480 = images.webp_rendition(480)
    image_800 = images.webp_rendition(800)
    image_1200 = images.webp_rendition(1200)
    image_1600 = images.webp_rendition(1600)
    image_fallback = images.fallback_rendition()
    image_share = images.share_rendition()

    objects = StoryQuerySet.as_manager()

    # Changing these once readers have seen the story is a correction or an update.
    CORRECTABLE_FIELDS = ("headline", "body")

    # What an editor edits: its hash is the story's edit version (config.editing).
    EDITORIAL_FIELDS = [
        "headline", "slug", "summary", "body", "source_name", "source_url", "dateline",
        "status", "published_at",
    ]  # fmt: skip

    class Meta:
        ordering = ["-published_at", "-id"]
        verbose_name_plural = "stories"
        # Changing a story is not publishing it: see config.workflow and config.roles.
        permissions = [("publish_story", "Can publish stories and approve them in review")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["draft", "in_review", "published"]),
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
            GinIndex(STORY_SEARCH_VECTOR, name="story_search_idx"),
        ]

    def __str__(self):
        return self.headline

    def save(self, *args, **kwargs):
        self.language = self.language or default_language()
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("news:story", args=[self.slug])

    @property
    def desk_label(self):
        """How editors tell stories apart in a list of choices: publication, headline."""
        return f"{self.publication} · {self.headline}"

    def editorial_extras(self):
        return {"topics": sorted(topic.pk for topic in self.topics.all())}

    @staticmethod
    def shows_unpublished_to(user):
        """Whether `user` may see drafts and scheduled stories (API, previews): those who
        may view or change stories in the admin, as the admin's own has_view_permission."""
        return user.has_perm("news.view_story") or user.has_perm("news.change_story")

    def clean(self):
        errors = {}
        typed, self.headline = self.headline, visible_text(self.headline or "")
        if typed and not self.headline:  # blank is refused by the field itself
            errors["headline"] = "Give the story a headline readers can see."
        if self.status == self.Status.PUBLISHED and self.published_at is None:
            errors["published_at"] = "A published story needs a publication time."
        try:
            self.published_at = storable_time(self.published_at)
        except ValidationError as error:
            errors["published_at"] = error.messages
        if self.image and not self.image_alt.strip():
            errors["image_alt"] = (
                "Describe the image for readers who cannot see it (alt text is required "
                "with an image)."
            )
        if errors:
            raise ValidationError(errors)

    @property
    def direction(self):
        """ "rtl" or "ltr": the `dir` of the element that holds the story."""
        return text_direction(self.language)

    def image_renditions(self):
        """[(url, width)] of the WebP renditions for `srcset`, widest last.

        An image narrower than a rendition is not enlarged, so that rendition is as wide
        as the image: widths come from the stored dimensions, without opening a file.
        """
        if not self.image or not self.image_width:
            return []
        renditions, seen = [], set()
        for width in images.RENDITION_WIDTHS:
            actual = min(width, self.image_width)
            if actual not in seen:
                seen.add(actual)
                renditions.append((getattr(self, f"image_{width}").url, actual))
        return renditions

    @property
    def image_fallback_size(self):
        """(width, height) of the JPEG fallback: the <img> element's own size."""
        width = min(images.FALLBACK_WIDTH, self.image_width or 0)
        if not width:
            return None, None
        return width, round(self.image_height * width / self.image_width)

    def check_change(self, changed, kind="", note=""):
        """Whether a change to this story (as stored) says what it is; raises
        ValidationError on `change_kind` or `correction_note`.

        Once readers have seen the story (it is live), changing its headline or body is a
        correction, which needs a short public note, or an update (a typo fix included),
        which adds nothing public. The admin and the API both ask with this.
        """
        if kind == self.Change.CORRECTION:
            if not self.is_live:
                raise ValidationError(
                    {"change_kind": "Only a live story takes a correction: readers have not "
                     "seen this one, so just change it."}
                )  # fmt: skip
            if not (note or "").strip():
                raise ValidationError(
                    {"correction_note": "A correction needs its note: readers see it."}
                )
        elif not kind and self.is_live and set(changed) & set(self.CORRECTABLE_FIELDS):
            raise ValidationError(
                {"change_kind": "Readers have seen this story: say whether this change is a "
                 "correction (with a public note) or an update (a typo fix, say)."}
            )  # fmt: skip

    def add_correction(self, note, author=None, now=None):
        """Record a public correction of this story; the one way one is made (admin, API),
        so whatever should follow a correction (a "story corrected" webhook) goes here."""
        now = now or timezone.now()
        with transaction.atomic():
            correction = Correction.objects.create(
                story=self, note=note.strip(), author=author, created_at=now
            )
            self.save(update_fields=["updated_at"])  # dateModified moves with it
        return correction

    @property
    def publication(self):
        """Draft, In review, Scheduled or Live: what an editor needs to know at a glance."""
        if self.status != self.Status.PUBLISHED:
            return self.get_status_display()
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

    def structured_data(self, url):
        """schema.org NewsArticle, for search engines (JSON-LD)."""
        data = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": self.headline[:110],
            "description": self.summary,
            "datePublished": self.published_at.isoformat() if self.published_at else None,
            "dateModified": self.updated_at.isoformat() if self.updated_at else None,
            "mainEntityOfPage": url,
            "articleSection": [topic.name for topic in self.topics.all()],
            "publisher": {"@type": "Organization", "name": settings.SITE_NAME},
        }
        if self.author_id:
            data["author"] = {
                "@type": "Person",
                "name": self.author.get_full_name() or str(self.author),
            }
        if self.source_url:
            data["isBasedOn"] = self.source_url
        data["inLanguage"] = self.language
        data["correction"] = [
            {
                "@type": "CorrectionComment",
                "text": correction.note,
                "datePublished": correction.created_at.isoformat(),
            }
            for correction in self.corrections.all()
        ]
        return {key: value for key, value in data.items() if value not in (None, "", [])}

    # The story's linked questions are the forecasts app's (it depends on news, never the
    # reverse): forecasts.models.with_questions() and with_featured_question() load them
    # into `public_links` and `featured_links`, which these two read.

    @property
    def featured_link(self):
        """The first linked question, if the caller loaded the links."""
        links = getattr(self, "featured_links", None)
        if links is None:
            links = self.public_links
        return links[0] if links else None

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

    def surrogate_keys(self):
        """What a change to the story must purge from the CDN (config.cdn): every page
        that shows it, the story lists it may join or leave, and its questions' pages,
        which list their live stories (a draft turned live is on none of them yet)."""
        questions = self.questions.values_list("pk", flat=True) if self.pk else []
        return [cdn.story_key(self.pk), cdn.LIST_STORIES, *map(cdn.question_key, questions)]


class Correction(models.Model):
    """A public correction of a story: readers see it at the foot of the story ("Correction,
    9 Dec 2024: …"), and feeds, JSON-LD and the API carry it. A story may have several;
    updates and typo fixes leave none (Story.check_change)."""

    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="corrections")
    note = models.CharField(max_length=500, help_text="What was wrong and what is right now.")
    created_at = models.DateTimeField(default=timezone.now)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(note=""), name="correction_note_not_empty")
        ]

    def __str__(self):
        return f"Correction, {self.created_at:%d %b %Y}: {self.note}"

    def surrogate_keys(self):
        return [cdn.story_key(self.story_id)]
