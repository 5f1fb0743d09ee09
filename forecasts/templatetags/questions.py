"""How a question's state reads to a reader."""

from django import template
from django.utils import timezone
from django.utils.dateformat import format as format_date
from django.utils.timesince import timeuntil

from config import fragments
from forecasts.models import Question, load_for_cards

register = template.Library()


@register.filter
def state_phrase(question):
    """ "Open · closes in 3 days", "Resolved: Returned to Syria", "Annulled · no outcome"."""
    now = timezone.now()
    state = question.state(now)
    match state:
        case Question.State.OPEN:
            return f"Open · closes in {timeuntil(question.closes_at, now, depth=1)}"
        case Question.State.UPCOMING:
            return f"Opens {format_date(question.opens_at, 'M j, Y, h:i A')}"
        case Question.State.CLOSED:
            return "Closed · awaiting resolution"
        case Question.State.RESOLVED:
            return f"Resolved: {question.resolved_option}"
        case Question.State.ANNULLED:
            return "Annulled · no outcome, nobody is scored"
    return state.label


@register.simple_tag(takes_context=True)
def question_card(context, question, featured=False, variant=""):
    """The question card (includes/question_card.html): a cached part of the page, made
    again when the question changes (every forecast moves its `updated_at`). Pages load
    questions without their options; the cards the cache did not have load them."""
    values = {"question": question, "featured": featured, "variant": variant}
    made_of = (question.pk, question.updated_at.timestamp(), featured, variant)
    return fragments.part(
        context,
        "includes/question_card.html",
        values,
        made_of,
        prepare=(load_for_cards, question),
    )
