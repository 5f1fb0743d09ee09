"""The living demo: follow-ups to the captured Al-Qaim story, and readers forecasting on them.

The captured story and its fourteen questions all closed in June 2025, so on their own
they leave the site with nothing open, nobody forecasting and nothing scored. This adds,
around them and without touching them: three follow-up stories, questions that are open
now, one closed and awaiting its outcome, resolved ones and an annulled one, and eight
simulated readers whose forecasts over past days give the charts, the leaderboard and the
track record something to show.

- Times are relative to the load: a question "opens 6 days ago, closes in 1 day".
- Every story and question here has `is_demo`, every reader is a demo account
  (news.demo.accounts); the captured content is left as it is.
- Forecasts go through forecasts.forecasting.record_forecast (with past times, so
  snapshots carry them) and outcomes through forecasts.outcomes, as on the live site.
- Readers read the news noisily: each forecast is the question's `truth` as far as the
  news had told it by then, bent by the reader's confidence and blurred by their noise.
  The randomness is seeded per question and reader: the same forecasts on every load.
- A run adds what is missing (a story; a question with its readers' forecasts and its
  outcome; a reader) and leaves alone what is there, whatever the day: a question that
  was open yesterday may have closed since, and that is fine. `remove()` deletes it all,
  for `load_demo --reset`.
"""

import math
import random
from dataclasses import dataclass
from datetime import timedelta

from django.utils import dateformat, timezone

from forecasts import forecasting, outcomes, scoring
from forecasts.models import Forecast, Option, Question, StoryQuestion
from news.demo import accounts
from news.demo.report import noun
from news.models import Story, Topic

SEED = "forecast-desk-living-demo"
SOURCE_NAME = "Forecast Desk demo"
DEMO_NOTE = "*A demo story, written to show this site at work: the events are invented.*"
# Outcomes are settled the morning after a question closes.
SETTLED_AFTER = timedelta(hours=14)


@dataclass(frozen=True)
class DemoReader:
    username: str
    noise: float  # how far their reading of the news strays (log-odds, per option)
    confidence: float  # how hard they lean on what they read: > 1 overconfident
    activity: float  # the share of open questions they forecast on


@dataclass(frozen=True)
class DemoQuestion:
    slug: str
    title: str  # "{closes}" becomes the close date, "March 3, 2026"
    kind: str
    options: tuple
    # What a reader who read everything would say by the close, option by option.
    truth: tuple
    resolution_criteria: str
    opens: int  # days from the load; negative is in the past
    closes: int
    description: str = ""
    outcome: str = ""  # the winning option's label, for a resolved question
    note: str = ""  # the resolution note
    annulled: str = ""  # the annulment note, for an annulled question

    def title_for(self, closes_at):
        return self.title.format(closes=dateformat.format(timezone.localtime(closes_at), "F j, Y"))

    @property
    def settled(self):
        return bool(self.outcome or self.annulled)


@dataclass(frozen=True)
class DemoStory:
    slug: str
    headline: str
    summary: str
    body: str
    dateline: str
    published: int  # days from the load, in the past
    topics: tuple
    questions: tuple  # slugs, featured first


BINARY = Question.Kind.BINARY
MULTIPLE = Question.Kind.MULTIPLE_CHOICE
YES_NO = ("Yes", "No")

READERS = [
    DemoReader("demo-amira", noise=0.25, confidence=1.0, activity=0.9),
    DemoReader("demo-karim", noise=0.4, confidence=1.3, activity=0.8),
    DemoReader("demo-lena", noise=0.5, confidence=0.8, activity=0.7),
    DemoReader("demo-omar", noise=0.7, confidence=1.6, activity=0.6),
    DemoReader("demo-sofia", noise=0.35, confidence=0.9, activity=0.8),
    DemoReader("demo-hana", noise=0.3, confidence=1.1, activity=0.7),
    DemoReader("demo-tomas", noise=1.1, confidence=1.8, activity=0.6),
    DemoReader("demo-nadia", noise=0.6, confidence=0.6, activity=0.5),
]

QUESTIONS = [
    # Open now.
    DemoQuestion(
        slug="first-convoy-crosses-at-al-qaim",
        title="Will the first commercial convoy cross at Al-Qaim by {closes}?",
        kind=BINARY,
        options=YES_NO,
        truth=(0.7, 0.3),
        description="Yes if at least one convoy of commercial trucks crosses in either "
        "direction under the new protocol before the close.",
        resolution_criteria="Statements by Iraq's Border Ports Commission, or reports by "
        "two major news agencies",
        opens=-6,
        closes=1,
    ),
    DemoQuestion(
        slug="al-qaim-largest-trade-category",
        title="Which goods will make up the largest share of trade through Al-Qaim by {closes}?",
        kind=MULTIPLE,
        options=(
            "Food and agricultural goods",
            "Construction materials",
            "Fuel and oil products",
            "Manufactured goods",
        ),
        truth=(0.45, 0.3, 0.15, 0.1),
        resolution_criteria="Figures published by Iraq's Border Ports Commission",
        opens=-6,
        closes=7,
    ),
    DemoQuestion(
        slug="syria-amnesty-for-returned-soldiers",
        title="Will Syria's authorities announce an amnesty covering the soldiers returned "
        "at Al-Qaim by {closes}?",
        kind=BINARY,
        options=YES_NO,
        truth=(0.35, 0.65),
        resolution_criteria="An official decree or statement by the Syrian authorities",
        opens=-21,
        closes=30,
    ),
    DemoQuestion(
        slug="returned-soldiers-cleared",
        title="How many of the soldiers returned at Al-Qaim will Syrian officials say have "
        "been cleared by {closes}?",
        kind=MULTIPLE,
        options=("Fewer than 500", "500 to 999", "1,000 to 1,499", "1,500 or more"),
        truth=(0.15, 0.3, 0.35, 0.2),
        resolution_criteria="Statements by Syrian officials; the highest figure given "
        "before the close",
        opens=-20,
        closes=30,
    ),
    # Closed, awaiting its outcome.
    DemoQuestion(
        slug="syria-publishes-returned-soldiers-names",
        title="Will Syria's authorities publish the names of the soldiers returned at "
        "Al-Qaim by {closes}?",
        kind=BINARY,
        options=YES_NO,
        truth=(0.25, 0.75),
        resolution_criteria="A list published by a Syrian ministry or official news agency",
        opens=-20,
        closes=-1,
    ),
    # Resolved.
    DemoQuestion(
        slug="iraq-deploys-brigades-to-al-qaim",
        title="Will Iraq deploy at least two more army brigades to the Al-Qaim sector by "
        "{closes}?",
        kind=BINARY,
        options=YES_NO,
        truth=(0.8, 0.2),
        resolution_criteria="Statements by Iraq's Joint Operations Command or defence ministry",
        opens=-60,
        closes=-30,
        outcome="Yes",
        note="The Joint Operations Command confirmed that two brigades had taken up "
        "positions in the Al-Qaim sector.",
    ),
    DemoQuestion(
        slug="who-holds-the-syrian-side-of-al-qaim",
        title="Whom will Iraqi officials name as controlling the Syrian side of the Al-Qaim "
        "crossing by {closes}?",
        kind=MULTIPLE,
        options=(
            "Syria's new government forces",
            "Local tribal forces",
            "The Kurdish-led SDF",
            "No single force",
        ),
        truth=(0.55, 0.25, 0.1, 0.1),
        resolution_criteria="Statements by Iraqi government or border officials",
        opens=-59,
        closes=-25,
        outcome="Syria's new government forces",
        note="Iraq's Border Ports Commission said it was coordinating with officials of "
        "Syria's new government at Al-Bukamal.",
    ),
    DemoQuestion(
        slug="unhcr-returns-from-iraq",
        title="Will UNHCR count more than 5,000 Syrians returning from Iraq by {closes}?",
        kind=BINARY,
        options=YES_NO,
        truth=(0.35, 0.65),
        resolution_criteria="UNHCR's published figures on returns to Syria",
        opens=-21,
        closes=-8,
        outcome="No",
        note="UNHCR's last update before the close counted about 3,200 returns from Iraq.",
    ),
    DemoQuestion(
        slug="iraq-syria-sign-crossing-protocol",
        title="Will Iraq and Syria sign an agreement to reopen the Al-Qaim crossing to trade "
        "by {closes}?",
        kind=BINARY,
        options=YES_NO,
        truth=(0.45, 0.55),
        resolution_criteria="Statements by either government, or the text of an agreement",
        opens=-45,
        closes=-7,
        outcome="Yes",
        note="Border officials of both countries signed a protocol in Baghdad to reopen "
        "the crossing to commercial traffic.",
    ),
    # Annulled.
    DemoQuestion(
        slug="iraq-parliament-votes-border-bill",
        title="Will Iraq's parliament vote on the border fortification bill by {closes}?",
        kind=BINARY,
        options=YES_NO,
        truth=(0.5, 0.5),
        resolution_criteria="The Council of Representatives' published voting record",
        opens=-58,
        closes=-20,
        annulled="The bill was withdrawn and folded into the budget law before a vote was "
        "scheduled, so the question as written cannot be settled.",
    ),
]

STORIES = [
    DemoStory(
        slug="iraq-and-syria-agree-to-reopen-al-qaim-crossing",
        headline="Iraq and Syria Agree to Reopen Al-Qaim Crossing to Trade",
        summary="Border officials signed a protocol to reopen the crossing to commercial "
        "traffic, months after Syrian soldiers fled across it and surrendered.",
        body="Iraq and Syria have agreed to reopen the Al-Qaim border crossing to commercial "
        "traffic, Iraqi officials said, the first step toward restoring trade along the "
        "Euphrates route since Syrian soldiers crossed there and surrendered to the Iraqi "
        "army.\n\n"
        "The protocol, signed in Baghdad by officials of both countries' border "
        "authorities, provides for joint customs inspections and a phased opening, "
        "starting with food and construction materials. Passenger traffic is not "
        "covered.\n\n"
        "Traders in Anbar province welcomed the announcement but said they would wait for "
        "the first convoys before committing goods. Security officials said the army "
        "units sent to the border sector would stay in place.\n\n" + DEMO_NOTE,
        dateline="Baghdad",
        published=-6,
        topics=("iraq", "syria", "middle-east"),
        questions=(
            "first-convoy-crosses-at-al-qaim",
            "al-qaim-largest-trade-category",
            "iraq-syria-sign-crossing-protocol",
        ),
    ),
    DemoStory(
        slug="returned-syrian-soldiers-face-screening",
        headline="Syrian Soldiers Handed Back at Al-Qaim Face Screening in Damascus",
        summary="The soldiers Iraq returned are being screened by Syria's new authorities; "
        "families say many are still waiting to go home.",
        body="Syrian soldiers handed back by Iraq at the Al-Qaim crossing are going through "
        "a screening process run by Syria's new authorities, officials in Damascus said. "
        "Those cleared are issued civilian papers and allowed to go home.\n\n"
        "Officials would not say how many had been cleared so far. Families waiting "
        "outside a processing centre told reporters that relatives had been held for weeks "
        "without word.\n\n"
        "Rights groups have called for the process to be made public and for observers "
        "to be admitted. The authorities said an amnesty for conscripts who took no part "
        "in abuses was under discussion.\n\n" + DEMO_NOTE,
        dateline="Damascus",
        published=-21,
        topics=("syria", "middle-east"),
        questions=(
            "syria-amnesty-for-returned-soldiers",
            "returned-soldiers-cleared",
            "syria-publishes-returned-soldiers-names",
            "unhcr-returns-from-iraq",
        ),
    ),
    DemoStory(
        slug="iraq-reinforces-its-western-border",
        headline="Iraq Sends Reinforcements to Its Western Border as Syria's Transition Unfolds",
        summary="The army is moving more units to the Al-Qaim sector, weeks after some "
        "2,000 soldiers crossed from Syria there and surrendered.",
        body="Iraq's Joint Operations Command is sending more army units to the western "
        "border around Al-Qaim, officials said, weeks after about 2,000 Syrian soldiers "
        "crossed there and surrendered to Iraqi forces.\n\n"
        "Officials called the move precautionary. Control of the Syrian side of the "
        "crossing has changed hands since the soldiers withdrew from Al-Bukamal, and "
        "Iraqi commanders said they wanted to know whom they would be dealing with before "
        "any reopening.\n\n"
        "A bill to pay for border fortifications is before parliament; its sponsors said "
        "they expected a vote within weeks.\n\n" + DEMO_NOTE,
        dateline="Al-Qaim, Iraq",
        published=-60,
        topics=("iraq", "conflict", "middle-east"),
        questions=(
            "iraq-deploys-brigades-to-al-qaim",
            "who-holds-the-syrian-side-of-al-qaim",
            "iraq-parliament-votes-border-bill",
            "iraq-syria-sign-crossing-protocol",
        ),
    ),
]


def build(report, now=None):
    """Add whatever of the living demo is missing, as of `now`."""
    now = now or timezone.now()
    users = accounts.simulated_readers([reader.username for reader in READERS], report)
    readers = [(reader, users[reader.username]) for reader in READERS]
    wanted_topics = {slug for story in STORIES for slug in story.topics}
    topics = {topic.slug: topic for topic in Topic.objects.filter(slug__in=wanted_topics)}
    stories = {spec.slug: _story(spec, topics, report, now) for spec in STORIES}
    questions = {spec.slug: _question(spec, readers, report, now) for spec in QUESTIONS}
    # A story or question this run wrote was missing: link it where the demo has it.
    StoryQuestion.objects.bulk_create(
        StoryQuestion(story=stories[spec.slug][0], question=questions[slug][0], position=index)
        for spec in STORIES
        for index, slug in enumerate(spec.questions)
        if stories[spec.slug][1] or questions[slug][1]
    )


def remove(report):
    """Delete everything the living demo made, and every demo account, for --reset."""
    demo_questions = Question.objects.filter(is_demo=True)
    demo_stories = Story.objects.filter(is_demo=True)
    counts = {Story: demo_stories.count(), Question: demo_questions.count()}
    demo_questions.delete_with_forecasts()
    demo_stories.delete()
    for model, count in counts.items():
        if count:
            report.removed[noun(model)] += count
    accounts.remove(report)


def _hour(now, days):
    """`days` from `now`, on the hour."""
    return (now + timedelta(days=days)).replace(minute=0, second=0, microsecond=0)


def _story(spec, topics, report, now):
    """(the story, whether this run wrote it)."""
    story = Story.objects.filter(slug=spec.slug).first()
    if story is not None:
        if _story_edited(story, spec):
            report.left_alone[noun(Story)] += 1
        return story, False
    story = Story(
        slug=spec.slug,
        headline=spec.headline,
        summary=spec.summary,
        body=spec.body,
        source_name=SOURCE_NAME,
        dateline=spec.dateline,
        status=Story.Status.PUBLISHED,
        published_at=_hour(now, spec.published),
        is_demo=True,
    )
    story.full_clean()
    story.save()
    story.topics.set([topics[slug] for slug in spec.topics if slug in topics])
    report.created[noun(Story)] += 1
    return story, True


def _story_edited(story, spec):
    """Whether an editor changed the story's text or unpublished it (its times are the
    day it was loaded, so they say nothing)."""
    return (
        story.headline != spec.headline
        or story.summary != spec.summary
        or story.body != spec.body
        or story.dateline != spec.dateline
        or story.status != Story.Status.PUBLISHED
    )


def _question(spec, readers, report, now):
    """(the question, whether this run wrote it): a missing one is written with its
    readers' forecasts and its outcome."""
    question = Question.objects.filter(slug=spec.slug).prefetch_related("options").first()
    if question is not None:
        if _question_edited(question, spec):
            report.left_alone[noun(Question)] += 1
        return question, False
    closes_at = _hour(now, spec.closes)
    question = Question(
        slug=spec.slug,
        title=spec.title_for(closes_at),
        kind=spec.kind,
        description=spec.description,
        resolution_criteria=spec.resolution_criteria,
        status=Question.Status.PUBLISHED,
        opens_at=_hour(now, spec.opens),
        closes_at=closes_at,
        is_demo=True,
    )
    question.full_clean()
    question.save()
    Question.check_option_labels(spec.kind, spec.options)
    options = Option.objects.bulk_create(
        Option(question=question, label=label, position=position)
        for position, label in enumerate(spec.options)
    )
    report.created[noun(Question)] += 1

    readings = _readings(spec, question, readers)
    for at, user, probabilities in readings:
        shares = {option.pk: p for option, p in zip(options, probabilities, strict=True)}
        forecasting.record_forecast(user, question.pk, shares, now=at)
    if readings:
        report.created[noun(Forecast)] += len(readings)

    settled_at = closes_at + SETTLED_AFTER
    if spec.outcome:
        winner = next(option for option in options if option.label == spec.outcome)
        outcomes.resolve(question, winner, spec.note, now=settled_at)
        # Scored now, not when the worker gets to it: the demo is whole when the command ends.
        scoring.score_question(question)
        report.resolved[noun(Question)] += 1
    elif spec.annulled:
        outcomes.annul(question, spec.annulled, now=settled_at)
        report.annulled[noun(Question)] += 1
    return question, True


def _question_edited(question, spec):
    """Whether an editor changed the question's words or options (its times are the day
    it was loaded; closing it early changes the date in its title, and counts)."""
    return (
        question.title != spec.title_for(question.closes_at)
        or question.description != spec.description
        or question.resolution_criteria != spec.resolution_criteria
        or question.kind != spec.kind
        or [option.label for option in question.options.all()] != list(spec.options)
    )


def _readings(spec, question, readers):
    """[(time, reader, probabilities in option order)] of `question`, oldest first.

    Everybody forecasts once on a settled question (the leaderboard needs readers scored
    on several), a reader's `activity` share of them once or twice on the others, at
    moments spread over the question's life up to its close or the load. The moments are
    drawn in days of that life, so what readers say never depends on the time of day.
    """
    last = min(spec.closes, 0)  # the close, or the load for a question still open
    life = spec.closes - spec.opens
    readings = []
    for reader, user in readers:
        rng = random.Random(f"{SEED}/{spec.slug}/{reader.username}")
        joins = rng.random() < reader.activity
        if not (joins or spec.settled):
            continue
        for _ in range(1 if spec.settled else rng.randint(1, 2)):
            days = (last - spec.opens) * rng.uniform(0.02, 0.99)
            at = question.opens_at + timedelta(days=days)
            readings.append((at, user, _reading(spec.truth, days / life, reader, rng)))
    readings.sort(key=lambda reading: reading[0])
    return readings


def _reading(truth, informed, reader, rng):
    """One forecast: `truth` as far as the news had told it (`informed`, from 0 at the
    opening to 1 at the close), leaned on with the reader's confidence, blurred by their
    noise. Nobody is certain: a little weight on every option keeps each within bounds."""
    n = len(truth)
    leanings = [
        informed * reader.confidence * math.log(p * n) + rng.gauss(0, reader.noise) for p in truth
    ]
    top = max(leanings)
    weights = [math.exp(leaning - top) for leaning in leanings]
    total = sum(weights)
    return [0.96 * weight / total + 0.04 / n for weight in weights]
