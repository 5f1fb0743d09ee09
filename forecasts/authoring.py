"""Creating questions from what an editor writes: a pasted block, or fields.

`create_question` is the one way to write a question with its options and story links in
one transaction; the admin's import and (later) the API call it.
"""

import calendar
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify

from config.languages import default_language
from forecasts.models import BINARY_LABELS, Option, Question, StoryQuestion, normalise_label

BULLET = "•"
OPTION_LINE = re.compile(r"^(?P<label>.+?)\s*•\s*(?P<percent>\d{1,3}(?:[.,]\d+)?)\s*%\s*$")
# "Resolution source: Reports from …" stores "Reports from …".
SOURCE_LABEL = re.compile(
    r"^(?:resolution\s+(?:source|criteria)|resolves?\s+(?:on|by)|source)\s*[:：–—-]\s*",
    re.IGNORECASE,
)
MONTHS = {
    name.casefold(): number
    for names in (calendar.month_name, calendar.month_abbr)
    for number, name in enumerate(names)
    if name
} | {"sept": 9}
MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
# Dates a title may end on: "June 30, 2027", "30 June 2027", "June 2027", "end of 2027",
# "2027-06-30".
DATE_IN_TITLE = re.compile(
    rf"\b(?:"
    rf"(?P<md_month>{MONTH})\.?\s+(?P<md_day>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<md_year>\d{{4}})"
    rf"|(?P<dm_day>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<dm_month>{MONTH})\.?,?\s+(?P<dm_year>\d{{4}})"
    rf"|(?P<iso>\d{{4}}-\d{{2}}-\d{{2}})"
    rf"|(?:the\s+)?end\s+of\s+(?P<end_year>\d{{4}})"
    rf"|(?P<m_month>{MONTH})\.?\s+(?P<m_year>\d{{4}})"
    rf")\b",
    re.IGNORECASE,
)


@dataclass
class QuestionBlock:
    """A question as pasted in the captured format."""

    title: str
    options: list[str] = field(default_factory=list)
    resolution_criteria: str = ""

    @property
    def kind(self):
        labels = sorted(label.casefold() for label in self.options)
        binary = sorted(label.casefold() for label in BINARY_LABELS)
        return Question.Kind.BINARY if labels == binary else Question.Kind.MULTIPLE_CHOICE

    def proposed_closes_at(self, tz=None):
        """A close time proposed by the title's date (see proposed_close)."""
        return proposed_close(self.title, tz)


def date_in_title(title):
    """The last date a title names ("… by June 30, 2027?"), or None. A month alone, or
    "end of 2027", is its last day."""
    found = None
    for match in DATE_IN_TITLE.finditer(title):
        try:
            found = _date_of(match.groupdict())
        except ValueError:  # "February 30, 2027"
            continue
    return found


def _date_of(parts):
    if parts["iso"]:
        return date.fromisoformat(parts["iso"])
    if parts["end_year"]:
        return date(int(parts["end_year"]), 12, 31)
    for prefix in ("md", "dm"):
        if parts[f"{prefix}_month"]:
            month = MONTHS[parts[f"{prefix}_month"].casefold()]
            return date(int(parts[f"{prefix}_year"]), month, int(parts[f"{prefix}_day"]))
    year, month = int(parts["m_year"]), MONTHS[parts["m_month"].casefold()]
    return date(year, month, calendar.monthrange(year, month)[1])


def proposed_close(title, tz=None):
    """The end of the day the title names, in the site's time zone (or `tz`): "by June 30,
    2027" proposes 30 June 2027, 23:59:59. None when the title names no date. Only a
    proposal: the import page shows it to the editor before anything is saved."""
    day = date_in_title(title)
    if day is None:
        return None
    return timezone.make_aware(
        datetime.combine(day, time(23, 59, 59)), tz or timezone.get_default_timezone()
    )


def parse_question_block(text):
    """Parse a title line, option lines ("Seeking asylum • 25%") and a resolution-source
    line, stored without a "Resolution source:" label if it has one. Raises
    ValidationError listing every bad line by number.

    The percentages are accepted and ignored: probabilities are the community's forecast,
    never typed by an editor.
    """
    lines = [(number, line.strip()) for number, line in enumerate(text.splitlines(), 1)]
    lines = [(number, line) for number, line in lines if line]
    if len(lines) < 4:
        raise ValidationError(
            "Paste a title line, at least two option lines like “Seeking asylum • 25%”, "
            "and a resolution-source line."
        )
    errors = []
    (title_number, title), *middle, (source_number, source) = lines
    if BULLET in title:
        errors.append(
            f"Line {title_number}: the first line is the question's title, not an option."
        )
    if BULLET in source:
        errors.append(
            f"Line {source_number}: the last line is the resolution source "
            "(e.g. “Reports from interviews or official statements”), not an option."
        )
    block = QuestionBlock(title=title, resolution_criteria=SOURCE_LABEL.sub("", source))
    if not block.resolution_criteria:
        errors.append(f"Line {source_number}: the resolution source is empty after its label.")
    first_line_of = {}
    for number, line in middle:
        match = OPTION_LINE.match(line)
        if not match:
            errors.append(
                f"Line {number}: “{line}” is not an option line like “Seeking asylum • 25%”."
            )
            continue
        label = normalise_label(match["label"])
        if not label:
            errors.append(f"Line {number}: the option has no label readers can see.")
            continue
        if len(label) > Option._meta.get_field("label").max_length:
            errors.append(f"Line {number}: the option label is too long.")
            continue
        key = label.casefold()
        if key in first_line_of:
            errors.append(
                f"Line {number}: “{label}” repeats the option on line "
                f"{first_line_of[key]} (case is ignored)."
            )
            continue
        first_line_of[key] = number
        block.options.append(label)
    if len(title) > Question._meta.get_field("title").max_length:
        errors.append(f"Line {title_number}: the title is longer than 255 characters.")
    if not errors:
        try:
            Question.check_option_labels(block.kind, block.options)
        except ValidationError as error:
            errors.extend(error.messages)
    if errors:
        raise ValidationError(errors)
    return block


def unique_slug(text, model=Question, max_length=200):
    base = slugify(text)[:max_length].strip("-") or "question"
    slug, n = base, 2
    while model.objects.filter(slug=slug).exists():
        slug = f"{base}-{n}"
        n += 1
    return slug


def create_question(
    *,
    title,
    options,
    resolution_criteria,
    closes_at,
    kind=None,
    language=None,
    opens_at=None,
    status=Question.Status.DRAFT,
    description="",
    slug=None,
    stories=(),
):
    """Create a question, its options in order and its story links, all or nothing."""
    labels = [normalise_label(label) for label in options]
    kind = kind or QuestionBlock(title, labels).kind
    labels = Question.check_option_labels(kind, labels)
    with transaction.atomic():
        question = Question(
            title=title,
            slug=slug or unique_slug(title),
            description=description,
            resolution_criteria=resolution_criteria,
            kind=kind,
            language=language or default_language(),
            status=status,
            opens_at=opens_at or timezone.now(),
            closes_at=closes_at,
        )
        # A slug we picked is checked by the save itself: another request may take it
        # between a check here and the write, and then the next free one is taken.
        question.full_clean(exclude=["slug"] if slug is None else None)
        _save_with_a_free_slug(question, pick_slug=slug is None)
        Option.objects.bulk_create(
            Option(question=question, label=label, position=position)
            for position, label in enumerate(labels)
        )
        for story in stories:
            last = story.links.aggregate(last=Max("position"))["last"]
            position = 0 if last is None else last + 1
            StoryQuestion.objects.create(story=story, question=question, position=position)
    return question


def _save_with_a_free_slug(question, pick_slug, tries=5):
    """Save a new question; if another request took its slug since full_clean() checked,
    take the next free one (when the slug was ours to pick), else say so."""
    for _ in range(tries):
        try:
            with transaction.atomic():
                question.save()
            return
        except IntegrityError:
            if not Question.objects.filter(slug=question.slug).exists():
                raise  # not the slug: config.api.errors answers it as a conflict
            if not pick_slug:
                raise ValidationError(
                    {"slug": "That slug was taken a moment ago; pick another."}
                ) from None
            question.slug = unique_slug(question.title)
    raise ValidationError({"slug": "Could not find a free slug; give one."})


def replace_options(question, options):
    """Set a question's options from [{"id"?, "label"}] in order, in one transaction.

    An entry with an id renames that option; one without adds an option; an existing
    option left out is deleted, unless readers have forecast on it.
    """
    with transaction.atomic():
        existing = {option.pk: option for option in question.options.all()}
        given_ids = [entry["id"] for entry in options if entry.get("id")]
        if len(set(given_ids)) != len(given_ids):
            raise ValidationError({"options": "Each option id may appear once."})
        kept = set(given_ids)
        unknown = kept - set(existing)
        if unknown:
            raise ValidationError({"options": "Some of those option ids are not this question's."})
        dropped = [option for pk, option in existing.items() if pk not in kept]
        protected = [option.label for option in dropped if option.has_forecasts]
        if protected:
            raise ValidationError(
                {
                    "options": f"Readers have forecast on {', '.join(protected)}: rename, "
                    "don't delete."
                }
            )
        for option in dropped:
            option.delete()
        # Park renamed labels first so a swap of two labels does not trip the unique index.
        for option in existing.values():
            if option.pk in kept:
                Option.objects.filter(pk=option.pk).update(label=f"__renaming {option.pk}__")
        for position, entry in enumerate(options):
            label = normalise_label(entry["label"])
            if entry.get("id"):
                Option.objects.filter(pk=entry["id"]).update(label=label, position=position)
            else:
                Option.objects.create(question=question, label=label, position=position)
