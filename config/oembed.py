"""oEmbed (https://oembed.com/): paste a question's or a story's URL into WordPress or any
other consumer and it embeds the question's bars.

`/oembed?url=…&format=json` answers a "rich" embed: an iframe of the question's embed
page (`/questions/<slug>/embed/`; for a story, its featured question's). Unknown or
foreign URLs are 404, `format=xml` is 501 (JSON only). `{% oembed_discovery %}` (in
base.html) puts the discovery `<link>` on question and story pages.
"""

from urllib.parse import urlencode, urlsplit

from django import template
from django.conf import settings
from django.http import Http404, HttpResponse, JsonResponse
from django.urls import Resolver404, resolve, reverse
from django.utils.html import format_html
from django.views.decorators.cache import cache_control

from forecasts.models import Question, StoryQuestion
from news.models import Story

EMBED_VIEWS = {"forecasts:question", "forecasts:embed", "news:story"}
DEFAULT_WIDTH, DEFAULT_HEIGHT = 400, 320
MIN_WIDTH, MIN_HEIGHT = 200, 160
CACHE_AGE = 3600

register = template.Library()


def _bounded(value, default, minimum):
    try:
        number = int(value)
    except (TypeError, ValueError):
        return default
    return max(minimum, min(number, default))


def _subject(request, url):
    """(kind, object) that `url`, on this site, shows; Http404 otherwise."""
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or parts.netloc.lower() != request.get_host().lower():
        raise Http404("Not a page of this site.")
    try:
        match = resolve(parts.path)
    except Resolver404:
        raise Http404("No such page.") from None
    slug = match.kwargs.get("slug")
    if match.view_name in ("forecasts:question", "forecasts:embed"):
        question = Question.objects.visible().filter(slug=slug).first()
        if question is None:
            raise Http404("No such question.")
        return "question", question
    if match.view_name == "news:story":
        story = Story.objects.live().filter(slug=slug).first()
        if story is None:
            raise Http404("No such story.")
        return "story", story
    raise Http404("Nothing to embed there.")


@cache_control(public=True, max_age=CACHE_AGE)
def oembed(request):
    response_format = request.GET.get("format", "json")
    if response_format != "json":
        return HttpResponse(
            "Only format=json is supported.", status=501, content_type="text/plain"
        )
    kind, subject = _subject(request, request.GET.get("url"))
    width = _bounded(request.GET.get("maxwidth"), DEFAULT_WIDTH, MIN_WIDTH)
    height = _bounded(request.GET.get("maxheight"), DEFAULT_HEIGHT, MIN_HEIGHT)
    site = request.build_absolute_uri("/")
    body = {
        "version": "1.0",
        "provider_name": settings.SITE_NAME,
        "provider_url": site,
        "cache_age": CACHE_AGE,
    }
    if kind == "story":
        link = (
            StoryQuestion.objects.public()
            .filter(story=subject)
            .select_related("question")
            .order_by("position", "pk")
            .first()
        )
        body["title"] = subject.headline
        if link is None:  # nothing to show in a frame: a plain link
            return JsonResponse({**body, "type": "link"})
        question = link.question
    else:
        question = subject
        body["title"] = question.title
    src = request.build_absolute_uri(reverse("forecasts:embed", args=[question.slug]))
    body.update(
        type="rich",
        width=width,
        height=height,
        html=format_html(
            '<iframe src="{}" width="{}" height="{}" title="{}" loading="lazy" '
            'style="border:0"></iframe>',
            src,
            width,
            height,
            question.title,
        ),
    )
    return JsonResponse(body)


@register.simple_tag(takes_context=True)
def oembed_discovery(context):
    """The discovery <link> for the page being shown, if it is a question or a story."""
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    if match is None or match.view_name not in EMBED_VIEWS - {"forecasts:embed"}:
        return ""
    query = urlencode({"url": request.build_absolute_uri(request.path), "format": "json"})
    href = request.build_absolute_uri(reverse("oembed")) + "?" + query
    return format_html(
        '<link rel="alternate" type="application/json+oembed" href="{}" title="{}">',
        href,
        context.get("question", context.get("story", "")),
    )
