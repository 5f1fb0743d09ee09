"""Load a newsroom's content from a JSON file such as `news/demo/al-qaim.json`.

The whole file is checked first and every problem is reported with the entry it is in;
only a clean file is written, in one transaction. Loading is idempotent: entries are
matched by slug (options by label, ignoring case) and a row is saved only when a value
differs, so loading the same file twice writes nothing the second time.
"""

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_slug
from django.db import transaction
from django.utils.dateparse import parse_datetime

from forecasts.models import Option, Question, StoryQuestion, normalise_label
from news.models import Story, Topic

DEMO_PATH = Path(__file__).resolve().parent / "demo" / "al-qaim.json"


class DemoFileError(Exception):
    """The file is not loadable; `problems` names each bad entry."""

    def __init__(self, problems):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass
class LoadReport:
    created: dict = field(default_factory=dict)
    updated: dict = field(default_factory=dict)

    def count(self, bucket, model):
        name = model._meta.verbose_name_plural
        bucket[name] = bucket.get(name, 0) + 1

    @property
    def changed(self):
        return bool(self.created or self.updated)


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


def load(data):
    """Check `data` (the parsed file) and write it; returns a LoadReport."""
    problems = check(data)
    if problems:
        raise DemoFileError(problems)
    report = LoadReport()
    with transaction.atomic():
        topics = {
            item["slug"]: _write("topics", index, item, _by_slug, report, Topic, item["slug"],
                                 {"name": item["name"]})
            for index, item in enumerate(data["topics"])
        }  # fmt: skip
        questions = {
            item["slug"]: _write("questions", index, item, _load_question, report, item)
            for index, item in enumerate(data["questions"])
        }
        for index, item in enumerate(data["stories"]):
            _write("stories", index, item, _load_story, report, item, topics, questions)
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


def _sync(report, model, obj, values, **identity):
    """Create `model(**identity, **values)` if `obj` is None, else save what differs."""
    if obj is None:
        obj = model(**identity, **values)
        obj.full_clean()
        obj.save()
        report.count(report.created, model)
        return obj
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    if changed:
        for name in changed:
            setattr(obj, name, values[name])
        obj.full_clean()
        if any(f.name == "updated_at" for f in model._meta.fields):
            changed.append("updated_at")
        obj.save(update_fields=changed)
        report.count(report.updated, model)
    return obj


def _by_slug(report, model, slug, values):
    return _sync(report, model, model.objects.filter(slug=slug).first(), values, slug=slug)


def _parse(value) -> datetime:
    return parse_datetime(value)


def _load_question(report, item):
    values = {
        "title": item["title"],
        "kind": item["kind"],
        "description": item.get("description", ""),
        "resolution_criteria": item["resolution_criteria"],
        "opens_at": _parse(item["opens_at"]),
        "closes_at": _parse(item["closes_at"]),
    }
    question = Question.objects.filter(slug=item["slug"]).first()
    if question is None:
        # Created unresolved: the winning option does not exist until its options do.
        values["status"] = Question.Status.PUBLISHED
    question = _sync(report, Question, question, values, slug=item["slug"])

    by_label = {normalise_label(o.label).casefold(): o for o in question.options.all()}
    wanted = []
    for position, label in enumerate(item["options"]):
        label = normalise_label(label)
        existing = by_label.pop(label.casefold(), None)
        values = {"label": label, "position": position}
        wanted.append(_sync(report, Option, existing, values, question=question))
    for leftover in by_label.values():
        if question.resolved_option_id == leftover.pk:
            _settle(report, question, status=Question.Status.PUBLISHED)
        leftover.delete()
        report.count(report.updated, Question)

    resolution = item.get("resolution")
    if question.is_settled:
        return question  # a settled outcome is final, whoever settled it
    if resolution:
        winner_label = normalise_label(resolution["option"]).casefold()
        winner = next(o for o in wanted if o.label.casefold() == winner_label)
        _settle(
            report,
            question,
            status=Question.Status.RESOLVED,
            resolved_option=winner,
            resolved_at=_parse(resolution["resolved_at"]),
            resolution_note=resolution.get("note", ""),
        )
    else:
        _settle(report, question, status=Question.Status.PUBLISHED)
    return question


def _settle(report, question, status, resolved_option=None, resolved_at=None, resolution_note=""):
    _sync(
        report,
        Question,
        question,
        {
            "status": status,
            "resolved_option": resolved_option,
            "resolved_at": resolved_at,
            "resolution_note": resolution_note,
        },
    )


def _load_story(report, item, topics, questions):
    story = _by_slug(
        report,
        Story,
        item["slug"],
        {
            "headline": item["headline"],
            "summary": item.get("summary", ""),
            "body": item.get("body", ""),
            "source_name": item.get("source_name", ""),
            "source_url": item.get("source_url", ""),
            "dateline": item.get("dateline", ""),
            "status": Story.Status.PUBLISHED,
            "published_at": _parse(item["published_at"]),
        },
    )
    wanted_topics = {topics[slug].pk for slug in item.get("topics", [])}
    if set(story.topics.values_list("pk", flat=True)) != wanted_topics:
        story.topics.set(wanted_topics)
        report.count(report.updated, Story)

    links = {link.question_id: link for link in story.links.all()}
    for position, slug in enumerate(item.get("questions", [])):
        question = questions[slug]
        link = links.pop(question.pk, None)
        _sync(report, StoryQuestion, link, {"position": position}, story=story, question=question)
    for link in links.values():
        link.delete()
        report.count(report.updated, Story)
