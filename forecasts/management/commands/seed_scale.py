"""`manage.py seed_scale`: a large synthetic newsroom for benchmarks, by bulk inserts.

The community aggregates are then rebuilt from the raw forecasts with the same code as
`recompute_forecasts` (forecasts.recompute), so they equal what forecasting one by one
would have given.
"""

import random
import sys
import time
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from forecasts import outcomes, recompute
from forecasts.models import (
    Forecast,
    ForecastProbability,
    ForecastSnapshot,
    Option,
    Question,
    StoryQuestion,
    community_state,
)
from news.models import Story, Topic

BATCH = 5000
TOPICS = 24
WORDS = [
    "border", "army", "crossing", "soldiers", "ceasefire", "election", "refugees", "aid",
    "talks", "sanctions", "oil", "drought", "harvest", "rebels", "parliament", "court",
    "protest", "treaty", "trade", "currency", "vaccine",
]  # fmt: skip


class Progress:
    """A one-line progress bar on standard error."""

    def __init__(self, label, total):
        self.label, self.total, self.done, self.start = label, max(total, 1), 0, time.monotonic()

    def advance(self, n):
        self.done += n
        width = 30
        filled = int(width * self.done / self.total)
        rate = self.done / max(time.monotonic() - self.start, 1e-6)
        sys.stderr.write(
            f"\r{self.label:<13} [{'#' * filled}{'.' * (width - filled)}] "
            f"{self.done:>9,}/{self.total:,} {rate:>9,.0f}/s"
        )
        if self.done >= self.total:
            sys.stderr.write("\n")
        sys.stderr.flush()


def batches(items, size=BATCH):
    for start in range(0, len(items), size):
        yield items[start : start + size]


class Command(BaseCommand):
    help = "Generate a large synthetic newsroom (defaults: the full benchmark size)."

    def add_arguments(self, parser):
        parser.add_argument("--stories", type=int, default=10_000)
        parser.add_argument("--questions-per-story", type=int, default=4)
        parser.add_argument("--readers", type=int, default=50_000)
        parser.add_argument("--forecasts", type=int, default=1_000_000)
        parser.add_argument("--seed", type=int, default=2024)

    def handle(self, *args, stories, questions_per_story, readers, forecasts, seed, **options):
        if min(stories, questions_per_story, readers) < 1 or forecasts < 0:
            raise CommandError("--stories, --questions-per-story and --readers must be ≥ 1.")
        if Story.objects.filter(slug__startswith="scale-").exists():
            raise CommandError("Scale data is already loaded here; use a fresh database.")
        rng = random.Random(seed)
        now = timezone.now()
        started = time.monotonic()
        with transaction.atomic():
            topics = self._topics()
            users = self._readers(readers)
            story_rows = self._stories(rng, stories, topics, now)
            questions = self._questions(rng, story_rows, questions_per_story, now)
            option_ids = self._options(rng, questions)
            self._forecasts(rng, forecasts, users, questions, option_ids, now)
        self._totals_and_snapshots(questions, now)
        self._resolve_some(rng, questions, option_ids, now)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        self.stdout.write(
            f"Seeded {stories:,} stories, {len(questions):,} questions, {readers:,} readers "
            f"and {forecasts:,} forecasts in {time.monotonic() - started:,.0f} s."
        )

    def _topics(self):
        Topic.objects.bulk_create(
            [Topic(name=f"Scale topic {n}", slug=f"scale-topic-{n}") for n in range(TOPICS)],
            ignore_conflicts=True,
        )
        return list(Topic.objects.filter(slug__startswith="scale-topic-"))

    def _readers(self, count):
        User = get_user_model()
        progress = Progress("readers", count)
        for chunk in batches(range(count)):
            # "!" is Django's unusable password: these readers never log in.
            User.objects.bulk_create(
                User(username=f"scale-reader-{n}", password="!")  # noqa: S106
                for n in chunk
            )
            progress.advance(len(chunk))
        return list(
            User.objects.filter(username__startswith="scale-reader-").values_list("pk", flat=True)
        )

    def _stories(self, rng, count, topics, now):
        progress = Progress("stories", count)
        created = []
        for chunk in batches(range(count)):
            rows = Story.objects.bulk_create(
                Story(
                    slug=f"scale-story-{n}",
                    headline=f"{' '.join(rng.sample(WORDS, 6)).capitalize()} ({n})",
                    summary=" ".join(rng.sample(WORDS, 12)),
                    body=" ".join(rng.choices(WORDS, k=120)),
                    status=Story.Status.PUBLISHED,
                    published_at=now - timedelta(minutes=rng.randint(1, 60 * 24 * 700)),
                    source_url="https://example.com/wire",
                )
                for n in chunk
            )
            Story.topics.through.objects.bulk_create(
                Story.topics.through(story_id=story.pk, topic_id=topic.pk)
                for story in rows
                for topic in rng.sample(topics, 2)
            )
            created += rows
            progress.advance(len(chunk))
        return created

    def _questions(self, rng, stories, per_story, now):
        progress = Progress("questions", len(stories) * per_story)
        questions = []
        for chunk in batches(stories, BATCH // per_story):
            rows = []
            for story in chunk:
                for k in range(per_story):
                    opens = story.published_at + timedelta(hours=1)
                    closes = now + timedelta(days=rng.randint(-300, 300))
                    if closes <= opens:
                        closes = opens + timedelta(days=rng.randint(1, 60))
                    kinds = rng.randint(2, 8)
                    rows.append(
                        Question(
                            slug=f"scale-q-{story.pk}-{k}",
                            title=f"Will {' '.join(rng.sample(WORDS, 4))} happen? "
                            f"({story.pk}.{k})",
                            resolution_criteria="Official statements",
                            kind=Question.Kind.BINARY
                            if kinds == 2
                            else Question.Kind.MULTIPLE_CHOICE,
                            status=Question.Status.PUBLISHED,
                            opens_at=opens,
                            closes_at=closes,
                        )
                    )
            created = Question.objects.bulk_create(rows)
            StoryQuestion.objects.bulk_create(
                StoryQuestion(story=story, question=created[i * per_story + k], position=k)
                for i, story in enumerate(chunk)
                for k in range(per_story)
            )
            questions += created
            progress.advance(len(rows))
        return questions

    def _options(self, rng, questions):
        progress = Progress("options", len(questions))
        option_ids = {}
        for chunk in batches(questions):
            rows = []
            for question in chunk:
                if question.kind == Question.Kind.BINARY:
                    labels = ["Yes", "No"]
                else:
                    labels = [f"Outcome {chr(65 + i)}" for i in range(rng.randint(3, 8))]
                rows += [
                    Option(question=question, label=label, position=i)
                    for i, label in enumerate(labels)
                ]
            for option in Option.objects.bulk_create(rows):
                option_ids.setdefault(option.question_id, []).append(option.pk)
            progress.advance(len(chunk))
        return option_ids

    def _forecasts(self, rng, count, users, questions, option_ids, now):
        progress = Progress("forecasts", count)
        remaining = count
        while remaining:
            n = min(BATCH, remaining)
            picked = [rng.choice(questions) for _ in range(n)]
            rows = Forecast.objects.bulk_create(
                Forecast(
                    user_id=rng.choice(users),
                    question=question,
                    created_at=question.opens_at
                    + (min(now, question.closes_at) - question.opens_at) * rng.random(),
                )
                for question in picked
            )
            probabilities = []
            for forecast, question in zip(rows, picked, strict=True):
                options = option_ids[question.pk]
                weights = [rng.uniform(1, 10) for _ in options]
                total = sum(weights)
                probabilities += [
                    ForecastProbability(forecast=forecast, option_id=pk, probability=w / total)
                    for pk, w in zip(options, weights, strict=True)
                ]
            ForecastProbability.objects.bulk_create(probabilities, batch_size=BATCH * 2)
            remaining -= n
            progress.advance(n)

    def _totals_and_snapshots(self, questions, now):
        progress = Progress("aggregates", len(questions))
        for chunk in batches([q.pk for q in questions], 1000):
            totals = recompute.rebuilt_totals(chunk)
            recompute.store_totals(totals)
            by_question = {}
            for option in Option.objects.filter(question_id__in=chunk).order_by(
                "question_id", "position"
            ):
                by_question.setdefault(option.question_id, []).append(option)
            snapshots = []
            for question_id, options in by_question.items():
                for option in options:
                    option.forecast_sum, option.pooled_log_sum, option.pooled_weight = (
                        totals.of_option(option.pk)
                    )
                state = community_state(options, totals.counts[question_id])
                snapshots.append(
                    ForecastSnapshot(
                        question_id=question_id,
                        taken_at=now,
                        forecaster_count=state["forecaster_count"],
                        probabilities=state["probabilities"],
                        aggregates=state["aggregates"],
                    )
                )
            ForecastSnapshot.objects.bulk_create(snapshots)
            progress.advance(len(chunk))

    def _resolve_some(self, rng, questions, option_ids, now):
        """A tenth of the closed questions resolved, scored as editors would."""
        closed = [q for q in questions if q.closes_at <= now]
        chosen = rng.sample(closed, len(closed) // 10)
        progress = Progress("resolutions", len(chosen))
        for question in chosen:
            question.refresh_from_db()
            outcomes.resolve(
                question, Option.objects.get(pk=rng.choice(option_ids[question.pk])), "Seeded."
            )
            progress.advance(1)
