"""The living demo `load_demo` builds around the captured story: open questions, simulated
readers and their history, never touching the captured newsroom."""

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from forecasts import forecasting, recompute, scoring
from forecasts.models import Forecast, ForecastSnapshot, Question, Score
from news import demo
from news.demo import accounts, living
from news.models import Story
from tests.factories import QuestionFactory, UserFactory

pytestmark = pytest.mark.django_db

CAPTURED_STORY = "/stories/syrian-soldiers-cross-into-iraq-at-al-qaim/"


def load(*args):
    out = StringIO()
    call_command("load_demo", *args, stdout=out)
    return out.getvalue()


def rows(model):
    return model.objects.count()


def history():
    """Every simulated forecast as (question, reader, probabilities): what the seed decides."""
    forecasts = (
        Forecast.objects.select_related("question", "user")
        .prefetch_related("probabilities")
        .order_by("question__slug", "user__username", "created_at")
    )
    return [
        (
            f.question.slug,
            f.user.username,
            [round(p.probability, 9) for p in f.probabilities.all()],
        )
        for f in forecasts
    ]


def test_open_questions_tab_lists_the_demos_open_questions(client):
    load()
    page = client.get("/questions/").content.decode()
    assert "Will the first commercial convoy cross at Al-Qaim by" in page
    open_now = Question.objects.open()
    assert open_now.count() == 4
    assert all(question.is_demo for question in open_now)
    closes_in = sorted((q.closes_at - timezone.now()).days for q in open_now)
    assert closes_in == [0, 6, 29, 29]  # 1, 7 and 30 days, to the hour below


def test_leaderboard_shows_the_simulated_readers(client):
    load()
    page = client.get("/leaderboard/").content.decode()
    ranked = re.findall(r"<td>\d+</td><td>(demo-[a-z]+)</td>", page)
    assert len(ranked) >= 3
    assert len(ranked) == len(living.READERS)
    scored = Score.objects.filter(user__isnull=False).values("user").distinct().count()
    assert scored >= 3
    assert (
        min(Score.objects.filter(user__username=name).count() for name in ranked)
        >= scoring.MIN_QUESTIONS_FOR_LEADERBOARD
    )


def test_readers_differ_in_skill(client):
    load()
    brier = {
        name: sum(s.brier for s in scores) / len(scores)
        for name in (reader.username for reader in living.READERS)
        if (scores := list(Score.objects.filter(user__username=name)))
    }
    assert max(brier.values()) - min(brier.values()) > 0.2


def test_track_record_draws_a_calibration_chart(client):
    load()
    page = client.get("/track-record/").content.decode()
    svg = page[page.index("<svg") : page.index("</svg>")]
    assert svg.count("<circle") >= 3
    # The captured resolution and the demo's four are scored; the annulled one is not.
    assert Score.objects.filter(user=None).count() == 5


def test_the_captured_story_is_untouched_by_the_living_demo(client):
    load()
    captured = Question.objects.filter(is_demo=False)
    assert captured.count() == 14
    assert not Forecast.objects.filter(question__in=captured).exists()
    assert set(captured.values_list("forecaster_count", flat=True)) == {0}
    page = client.get(CAPTURED_STORY).content.decode()
    featured = page[: page.index("Related questions")]
    assert featured.count('<span class="option__percent">25%</span>') == 4
    assert "Demo story" not in page
    story = Story.objects.get(slug="syrian-soldiers-cross-into-iraq-at-al-qaim")
    assert story.links.count() == 14
    assert not story.links.filter(question__is_demo=True).exists()


def test_everything_the_simulation_made_is_marked_as_demo():
    load()
    assert set(Story.objects.filter(is_demo=True).values_list("slug", flat=True)) == {
        spec.slug for spec in living.STORIES
    }
    assert set(Question.objects.filter(is_demo=True).values_list("slug", flat=True)) == {
        spec.slug for spec in living.QUESTIONS
    }
    forecasters = get_user_model().objects.filter(forecasts__isnull=False).distinct()
    assert set(forecasters) == set(accounts.demo_accounts())
    assert all(user.username.startswith("demo-") for user in forecasters)
    assert not any(user.has_usable_password() for user in forecasters)


def test_demo_questions_cover_every_state():
    load()
    states = [q.state() for q in Question.objects.filter(is_demo=True)]
    assert states.count(Question.State.OPEN) == 4
    assert states.count(Question.State.CLOSED) == 1
    assert states.count(Question.State.RESOLVED) == 4
    assert states.count(Question.State.ANNULLED) == 1


def test_charts_move_over_past_days():
    load()
    question = Question.objects.get(slug="syria-amnesty-for-returned-soldiers")
    taken = list(question.snapshots.values_list("taken_at", flat=True))
    assert len(taken) >= 5
    assert all(question.opens_at < moment < timezone.now() for moment in taken)
    assert len({moment.date() for moment in taken}) >= 3
    shares = {tuple(s.probabilities.values()) for s in question.snapshots.all()}
    assert len(shares) == len(taken)


def test_running_sums_agree_with_a_recompute():
    load()
    for question in Question.objects.filter(is_demo=True).prefetch_related("options"):
        sums, count = recompute.recompute(question)
        assert count == question.forecaster_count
        for option in question.options.all():
            assert sums[option.pk] == pytest.approx(option.forecast_sum)


def test_the_simulation_is_the_same_on_every_load():
    load()
    first = history()
    load("--reset")
    assert history() == first
    assert len(first) == rows(Forecast)


def test_loading_twice_duplicates_nothing():
    load()
    counts = [rows(m) for m in (get_user_model(), Story, Question, Forecast, Score)]
    snapshots = rows(ForecastSnapshot)
    output = load()
    assert [rows(m) for m in (get_user_model(), Story, Question, Forecast, Score)] == counts
    assert rows(ForecastSnapshot) == snapshots
    assert "Living demo: already loaded, nothing changed." in output


def test_a_later_day_adds_nothing_and_what_was_open_has_closed():
    demo.load()
    forecasts = rows(Forecast)
    later = timezone.now() + timedelta(days=40)
    parts = demo.load(now=later)
    assert not any(report.changed or report.left_alone for _, report in parts)
    assert rows(Forecast) == forecasts
    assert not Question.objects.open(later).exists()


def test_a_missing_demo_question_comes_back_dated_from_the_day_it_is_loaded():
    demo.load()
    readers = rows(get_user_model())
    Question.objects.filter(slug="first-convoy-crosses-at-al-qaim").delete_with_forecasts()
    later = timezone.now() + timedelta(days=3)
    (_, captured), (_, simulated) = demo.load(now=later)
    assert not captured.changed
    assert simulated.summary().startswith("created 1 question and ")
    question = Question.objects.get(slug="first-convoy-crosses-at-al-qaim")
    assert question.state(later) == Question.State.OPEN
    assert question.forecasts.exists()
    assert question.links.get().story.slug == "iraq-and-syria-agree-to-reopen-al-qaim-crossing"
    assert question.links.get().position == 0
    assert rows(get_user_model()) == readers


def test_an_edited_demo_question_is_left_alone_and_reset_restores_it():
    load()
    question = Question.objects.get(slug="returned-soldiers-cleared")
    question.title = "How many returned soldiers will be cleared?"
    question.save()
    output = load()
    assert "Living demo: nothing missing; left 1 edited question alone" in output
    assert Question.objects.get(pk=question.pk).title == question.title
    output = load("--reset")
    assert "Living demo: removed 3 stories, 10 questions and 8 demo accounts; created" in output
    restored = Question.objects.get(slug="returned-soldiers-cleared")
    assert restored.title.startswith("How many of the soldiers returned at Al-Qaim will")


def test_reset_keeps_the_sums_of_questions_it_does_not_remove_true():
    load()
    real = QuestionFactory(binary=True)
    yes, no = real.options.all()
    forecasting.record_forecast(UserFactory(), real.pk, {yes.pk: 0.8, no.pk: 0.2})
    demo_reader = accounts.demo_accounts().first()
    forecasting.record_forecast(demo_reader, real.pk, {yes.pk: 0.2, no.pk: 0.8})
    load("--reset")
    real.refresh_from_db()
    yes.refresh_from_db()
    assert real.forecaster_count == 1
    assert yes.forecast_sum == pytest.approx(0.8)
    assert Forecast.objects.filter(question=real).count() == 1


def test_a_newsroom_file_given_by_path_gets_no_living_demo():
    load(str(demo.DEMO_PATH))
    assert not Question.objects.filter(is_demo=True).exists()
    assert not accounts.demo_accounts().exists()
