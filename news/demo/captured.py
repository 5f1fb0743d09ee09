"""Load a newsroom's content from a JSON file such as `news/demo/al-qaim.json`.

The whole file is checked first and every problem is reported with the entry it is in;
only a clean file is written, in one transaction. Entries are matched by slug: what is
missing is created, and a row that is already there is never written over. One that
differs from the file (an editor changed it) is left as the editor left it and counted in
the report, unless `reset`, which puts the file's version back. A question the file
resolves is created open, then resolved through forecasts.outcomes like any other.
"""

import json
from datetime import datetime
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_slug
from django.db import transaction
from django.utils.dateparse import parse_datetime

from forecasts import outcomes, scoring
from forecasts.models import Option, Question, StoryQuestion, normalise_label
from news.demo.report import Report, noun
from news.models import Story, Topic

DEMO_PATH = Path(__file__).resolve().parent / "al-qaim.json"


class DemoFileError(Exception):
    """The file is not loadable; `problems` names each bad entry."""

    def __init__(self, problems):
        self.problems = problems
        super().__init__("\n".join(problems))


def read_file(path):
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise DemoFileError([f"{path}: cannot read it ({error.strerror})"]) from error
    except UnicodeDecodeError as error:
        raise DemoFileError([f"{path}: not UTF-8 text ({error.reason})"]) from error
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise DemoFileError(
            [f"{path}: not valid JSON at line {error.lineno}, column {error.colno}: {error.msg}"]
        ) from error


def load(data, report=None, reset=False):
    """Check `data` (the parsed file) and write what is missing; returns the Report.

    With `reset`, rows that differ from the file are replaced by the file's version.
    Nothing is written unless all of it is: a problem found while writing raises
    DemoFileError and rolls the transaction back.
    """
    problems = check(data)
    if problems:
        raise DemoFileError(problems)
    report = report if report is not None else Report()
    with transaction.atomic():
        topics = {
            item["slug"]: _write("topics", index, item, _load_topic, report, item, reset)
            for index, item in enumerate(data["topics"])
        }
        questions = {
            item["slug"]: _write("questions", index, item, _load_question, report, item, reset)
            for index, item in enumerate(data["questions"])
        }
        for index, item in enumerate(data["stories"]):
            _write("stories", index, item, _load_story, report, item, topics, questions, reset)
    return report


def _write(kind, index, item, function, *args):
    """Run one entry's writes; a model rule that check() missed names the entry too.

    Raising inside load()'s transaction rolls back everything written before it.
    """
    try:
        return function(*args)
    except ValidationError as error:
        where = _entry(kind, index, item)
        if hasattr(error, "message_dict"):
            raise DemoFileError(
                [f"{where}: {name}: {msg}" for name, msgs in error.message_dict.items()
                 for msg in msgs]
            ) from error  # fmt: skip
        raise DemoFileError([f"{where}: {msg}" for msg in error.messages]) from error


def _entry(kind, index, item):
    slug = item.get("slug") if isinstance(item, dict) else None
    return f"{kind}[{index}]" + (f' "{slug}"' if slug else "")


def _text(item, key, where, problems, required=True):
    value = item.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        problems.append(f"{where}: {key} must be a non-empty string")
        return None
    return value


def _time(item, key, where, problems):
    value = item.get(key)
    parsed = parse_datetime(value) if isinstance(value, str) else None
    if parsed is None or parsed.tzinfo is None:
        problems.append(
            f"{where}: {key} must be an ISO 8601 time with a zone, "
            f'e.g. "2024-12-07T14:48:00Z"; got {value!r}'
        )
        return None
    return parsed


def _slug(item, where, problems, seen):
    slug = _text(item, "slug", where, problems)
    if slug is None:
        return None
    try:
        validate_slug(slug)
    except ValidationError:
        problems.append(f"{where}: slug {slug!r} may hold only letters, digits, - and _")
        return None
    if slug in seen:
        problems.append(f"{where}: slug {slug!r} appears twice")
    seen.add(slug)
    return slug


def _list(data, key, problems):
    value = data.get(key) if isinstance(data, dict) else None
    if not isinstance(value, list):
        problems.append(f'the file needs a list "{key}" at the top level')
        return []
    return value


def check(data):
    """Every problem in the file, each naming its entry; an empty list means loadable."""
    problems = []
    topics, stories, questions = (
        _list(data, key, problems) for key in ("topics", "stories", "questions")
    )
    topic_slugs, question_slugs, story_slugs = set(), set(), set()

    for index, item in enumerate(topics):
        where = _entry("topics", index, item)
        if not isinstance(item, dict):
            problems.append(f"{where}: must be an object")
            continue
        _slug(item, where, problems, topic_slugs)
        _text(item, "name", where, problems)

    for index, item in enumerate(questions):
        where = _entry("questions", index, item)
        if not isinstance(item, dict):
            problems.append(f"{where}: must be an object")
            continue
        _slug(item, where, problems, question_slugs)
        _text(item, "title", where, problems)
        _text(item, "resolution_criteria", where, problems)
        kind = item.get("kind")
        if kind not in Question.Kind.values:
            problems.append(f"{where}: kind must be one of {', '.join(Question.Kind.values)}")
        opens_at = _time(item, "opens_at", where, problems)
        closes_at = _time(item, "closes_at", where, problems)
        try:
            Question.check_schedule(opens_at, closes_at)
        except ValidationError as error:
            problems.extend(
                f"{where}: {name}: {message}"
                for name, messages in error.message_dict.items()
                for message in messages
            )
        options = item.get("options")
        if not isinstance(options, list) or not all(isinstance(o, str) for o in options):
            problems.append(f"{where}: options must be a list of labels")
            continue
        try:
            Question.check_option_labels(kind, options)
        except ValidationError as error:
            problems.extend(f"{where}: {message}" for message in error.messages)
        resolution = item.get("resolution")
        if resolution is not None:
            if not isinstance(resolution, dict):
                problems.append(f"{where}: resolution must be an object")
                continue
            labels = {normalise_label(label).casefold() for label in options}
            winner = resolution.get("option")
            if not isinstance(winner, str) or normalise_label(winner).casefold() not in labels:
                problems.append(f"{where}: resolution option {winner!r} is not one of its options")
            _time(resolution, "resolved_at", f"{where} resolution", problems)

    url = URLValidator(schemes=["http", "https"])
    for index, item in enumerate(stories):
        where = _entry("stories", index, item)
        if not isinstance(item, dict):
            problems.append(f"{where}: must be an object")
            continue
        _slug(item, where, problems, story_slugs)
        _text(item, "headline", where, problems)
        _time(item, "published_at", where, problems)
        for key in ("summary", "body", "source_name", "dateline"):
            _text(item, key, where, problems, required=False)
        source_url = item.get("source_url", "")
        if source_url:
            try:
                url(source_url)
            except ValidationError:
                problems.append(f"{where}: source_url {source_url!r} is not an http(s) URL")
        for key, known in (("topics", topic_slugs), ("questions", question_slugs)):
            refs = item.get(key, [])
            if not isinstance(refs, list):
                problems.append(f"{where}: {key} must be a list of slugs")
                continue
            for ref in refs:
                if ref not in known:
                    problems.append(
                        f"{where}: {key} names {ref!r}, which the file does not define"
                    )
            if len(set(map(str, refs))) != len(refs):
                problems.append(f"{where}: {key} lists the same slug twice")
    return problems


def _parse(value) -> datetime:
    return parse_datetime(value)


def _save(obj):
    obj.full_clean()
    obj.save()
    return obj


def _load_topic(report, item, reset):
    topic = Topic.objects.filter(slug=item["slug"]).first()
    if topic is None:
        report.created[noun(Topic)] += 1
        return _save(Topic(slug=item["slug"], name=item["name"]))
    if topic.name != item["name"]:
        if not reset:
            report.left_alone[noun(Topic)] += 1
            return topic
        # Renamed back, never replaced: editors' own stories may carry the topic.
        topic.name = item["name"]
        _save(topic)
        report.restored[noun(Topic)] += 1
    return topic


def _question_values(item):
    return {
        "title": item["title"],
        "kind": item["kind"],
        "description": item.get("description", ""),
        "resolution_criteria": item["resolution_criteria"],
        "opens_at": _parse(item["opens_at"]),
        "closes_at": _parse(item["closes_at"]),
    }


def _load_question(report, item, reset):
    """(the question, whether this run wrote it)."""
    question = (
        Question.objects.filter(slug=item["slug"])
        .select_related("resolved_option")
        .prefetch_related("options")
        .first()
    )
    bucket = report.created
    if question is not None:
        if not _question_differs(question, item):
            return question, False
        if not reset:
            report.left_alone[noun(Question)] += 1
            return question, False
        # A new row rather than a rewrite: an outcome is final (Question.clean() refuses to
        # reopen one), and any forecasts on the edited question go with it.
        Question.objects.filter(pk=question.pk).delete_with_forecasts()
        bucket = report.restored
    question = _save(
        Question(slug=item["slug"], status=Question.Status.PUBLISHED, **_question_values(item))
    )
    options = [
        Option(question=question, label=normalise_label(label), position=position)
        for position, label in enumerate(item["options"])
    ]
    for option in options:
        option.full_clean()
    Option.objects.bulk_create(options)
    bucket[noun(Question)] += 1
    resolution = item.get("resolution")
    if resolution:
        wanted = normalise_label(resolution["option"]).casefold()
        winner = next(option for option in options if option.label.casefold() == wanted)
        outcomes.resolve(
            question, winner, resolution.get("note", ""), now=_parse(resolution["resolved_at"])
        )
        # Scored now, not when the worker gets to it: the demo is whole when the command ends.
        scoring.score_question(question)
        report.resolved[noun(Question)] += 1
    return question, True


def _question_differs(question, item):
    """Whether an editor changed `question` since it was loaded from `item`."""
    values = _question_values(item)
    resolution = item.get("resolution")
    if resolution or question.is_settled:
        # Settling closes a question early (forecasts.outcomes): its outcome is the record.
        del values["closes_at"]
    if any(getattr(question, name) != value for name, value in values.items()):
        return True
    labels = [normalise_label(label) for label in item["options"]]
    if [o.label for o in question.options.all()] != labels:
        return True
    if not resolution:
        return question.status != Question.Status.PUBLISHED
    return (
        question.status != Question.Status.RESOLVED
        or question.resolved_option.label.casefold()
        != normalise_label(resolution["option"]).casefold()
        or question.resolved_at != _parse(resolution["resolved_at"])
        or question.resolution_note != resolution.get("note", "")
    )


def _story_values(item):
    return {
        "headline": item["headline"],
        "summary": item.get("summary", ""),
        "body": item.get("body", ""),
        "source_name": item.get("source_name", ""),
        "source_url": item.get("source_url", ""),
        "dateline": item.get("dateline", ""),
        "status": Story.Status.PUBLISHED,
        "published_at": _parse(item["published_at"]),
    }


def _load_story(report, item, topics, questions, reset):
    story = Story.objects.filter(slug=item["slug"]).prefetch_related("topics").first()
    bucket = report.created
    if story is not None:
        # A question this run wrote was missing: it joins the story where the file has it.
        _link(story, item, questions, written_now=True)
        if not _story_differs(story, item):
            return story
        if not reset:
            report.left_alone[noun(Story)] += 1
            return story
        story.delete()
        bucket = report.restored
    story = _save(Story(slug=item["slug"], **_story_values(item)))
    story.topics.set([topics[slug] for slug in item.get("topics", [])])
    _link(story, item, questions)
    bucket[noun(Story)] += 1
    return story


def _link(story, item, questions, written_now=False):
    """Link the file's questions to `story` in the file's order (only those this run
    wrote, if `written_now`)."""
    StoryQuestion.objects.bulk_create(
        StoryQuestion(story=story, question=questions[slug][0], position=position)
        for position, slug in enumerate(item.get("questions", []))
        if questions[slug][1] or not written_now
    )


def _story_differs(story, item):
    """Whether an editor changed `story` (text, time, status, topics, linked questions)."""
    if any(getattr(story, name) != value for name, value in _story_values(item).items()):
        return True
    if {topic.slug for topic in story.topics.all()} != set(item.get("topics", [])):
        return True
    linked = story.links.order_by("position", "id").values_list("question__slug", flat=True)
    return list(linked) != list(item.get("questions", []))
