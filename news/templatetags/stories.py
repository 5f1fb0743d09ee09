"""Stories in lists."""

from django import template

from config import fragments

register = template.Library()


@register.simple_tag(takes_context=True)
def story_card(context, story, variant="river"):
    """The story card (includes/story_card.html): a cached part of the page, made again
    when the story changes."""
    return fragments.part(
        context,
        "includes/story_card.html",
        {"story": story, "variant": variant},
        (story.pk, story.updated_at.timestamp(), variant),
    )
