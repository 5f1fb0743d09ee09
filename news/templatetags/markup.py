"""Editors write Markdown; readers get sanitised HTML."""

import markdown as markdown_lib
import nh3
from django import template
from django.utils.html import json_script
from django.utils.safestring import mark_safe

register = template.Library()

ALLOWED_TAGS = {
    "a", "p", "br", "strong", "em", "b", "i", "ul", "ol", "li", "blockquote",
    "h2", "h3", "h4", "code", "pre", "hr",
}  # fmt: skip


@register.filter
def markdown(text):
    """Markdown to HTML, then nh3 drops anything outside a small allow-list."""
    html = markdown_lib.markdown(text or "", extensions=["sane_lists"])
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return mark_safe(clean)  # noqa: S308 - nh3 has just sanitised it


@register.filter
def ld_json(data):
    """A JSON-LD block; json_script's escaping keeps "</script>" in a headline harmless."""
    html = json_script(data)
    return mark_safe(html.replace('type="application/json"', 'type="application/ld+json"', 1))  # noqa: S308


@register.simple_tag(takes_context=True)
def absolute_url(context, url):
    """`url` as an absolute address (media may already live on another host)."""
    return context["request"].build_absolute_uri(url)
