"""factory_boy factories for every model; tests build their data with these."""

from datetime import timedelta

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils import timezone

from config.roles import ensure_editors_group, ensure_reporters_group
from forecasts.models import (
    Forecast,
    ForecastProbability,
    ForecastSnapshot,
    Option,
    Question,
    StoryQuestion,
)
from news.models import Story, Topic


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"reader{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.django.Password("correct horse battery staple")


class EditorFactory(UserFactory):
    """A staff user in the Editors group, with exactly the group's permissions."""

    username = factory.Sequence(lambda n: f"editor{n}")
    is_staff = True

    @factory.post_generation
    def editors_group(self, create, extracted, **kwargs):
        if create:
            self.groups.add(ensure_editors_group(Group, Permission))


class ReporterFactory(UserFactory):
    """A staff user in the Reporters group: writes and submits for review, never publishes."""

    username = factory.Sequence(lambda n: f"reporter{n}")
    is_staff = True

    @factory.post_generation
    def reporters_group(self, create, extracted, **kwargs):
        if create:
            self.groups.add(ensure_reporters_group(Group, Permission))


class TopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Topic

    name = factory.Sequence(lambda n: f"Topic {n}")
    slug = factory.Sequence(lambda n: f"topic-{n}")


class StoryFactory(factory.django.DjangoModelFactory):
    """A live story by default; `draft=True` or `scheduled=True` for the other states."""

    class Meta:
        model = Story
        skip_postgeneration_save = True

    class Params:
        draft = factory.Trait(status=Story.Status.DRAFT, published_at=None)
        scheduled = factory.Trait(
            published_at=factory.LazyFunction(lambda: timezone.now() + timedelta(days=1))
        )

    headline = factory.Sequence(lambda n: f"Story number {n} crosses the border")
    slug = factory.Sequence(lambda n: f"story-{n}")
    summary = "A short summary."
    body = "The body, in **Markdown**."
    source_name = "Wire"
    source_url = "https://example.com/original"
    dateline = "Baghdad"
    status = Story.Status.PUBLISHED
    published_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=1))

    @factory.post_generation
    def topics(self, create, extracted, **kwargs):
        if create and extracted:
            self.topics.set(extracted)


class QuestionFactory(factory.django.DjangoModelFactory):
    """An open multiple-choice question with four options unless told otherwise.

    `options=["A", "B"]` sets the labels; binary questions get Yes/No.
    """

    @classmethod
    def _generate(cls, strategy, params):
        # A question and its options are written in one transaction, as the site does:
        # PostgreSQL checks a published question's options at commit.
        if strategy != factory.enums.CREATE_STRATEGY:
            return super()._generate(strategy, params)
        with transaction.atomic():
            return super()._generate(strategy, params)

    class Meta:
        model = Question
        skip_postgeneration_save = True

    class Params:
        binary = factory.Trait(kind=Question.Kind.BINARY)

    title = factory.Sequence(lambda n: f"Will event {n} happen by June 30, 2025?")
    slug = factory.Sequence(lambda n: f"question-{n}")
    resolution_criteria = "Reports from interviews or official statements"
    kind = Question.Kind.MULTIPLE_CHOICE
    status = Question.Status.PUBLISHED
    opens_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    closes_at = factory.LazyAttribute(lambda q: q.opens_at + timedelta(days=30))

    @factory.post_generation
    def options(self, create, extracted, **kwargs):
        if not create:
            return
        if extracted is None:
            extracted = (
                ["Yes", "No"]
                if self.kind == Question.Kind.BINARY
                else ["Option A", "Option B", "Option C", "Option D"]
            )
        Option.objects.bulk_create(
            Option(question=self, label=label, position=position)
            for position, label in enumerate(extracted)
        )


class OptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Option

    question = factory.SubFactory(QuestionFactory, options=[])
    label = factory.Sequence(lambda n: f"Option {n}")
    position = factory.Sequence(int)


class StoryQuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StoryQuestion

    story = factory.SubFactory(StoryFactory)
    question = factory.SubFactory(QuestionFactory)
    position = factory.Sequence(int)


class ForecastFactory(factory.django.DjangoModelFactory):
    """A forecast spreading probability evenly unless `probabilities` (a list) is given."""

    class Meta:
        model = Forecast
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    question = factory.SubFactory(QuestionFactory)

    @factory.post_generation
    def probabilities(self, create, extracted, **kwargs):
        if not create:
            return
        options = list(self.question.options.all())
        values = extracted or [1 / len(options)] * len(options)
        ForecastProbability.objects.bulk_create(
            ForecastProbability(forecast=self, option=option, probability=value)
            for option, value in zip(options, values, strict=True)
        )


class ForecastProbabilityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ForecastProbability

    forecast = factory.SubFactory(ForecastFactory, probabilities=[])
    option = factory.SubFactory(OptionFactory)
    probability = 0.5


class ForecastSnapshotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ForecastSnapshot

    question = factory.SubFactory(QuestionFactory)
    forecaster_count = 0
    probabilities = factory.LazyAttribute(
        lambda s: {str(o.pk): 1 / s.question.options.count() for o in s.question.options.all()}
    )


def newsroom(stories=1, questions_per_story=1, topic=None):
    """`stories` live stories, each with `questions_per_story` linked questions."""
    for _ in range(stories):
        story = StoryFactory(topics=[topic] if topic else [])
        for position in range(questions_per_story):
            StoryQuestionFactory(story=story, position=position)
