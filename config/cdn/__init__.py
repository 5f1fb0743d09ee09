"""The CDN in front: surrogate keys on public responses, and purges when content changes.

Every anonymous public response names what it shows in a surrogate-key header (`xkey`
for Varnish, `Surrogate-Key` for Fastly, `Cache-Tag` for Cloudflare): `story-<id>` and
`question-<id>` for each story and question on it, and a list key for the lists whose
membership a publish, close or resolve changes (`list-stories`, `list-questions`,
`topics`). With a purger configured (CDN_PURGER) the CDN may keep such a response for
CDN_S_MAXAGE, serve it stale while it refetches (CDN_STALE_WHILE_REVALIDATE) or while the
site is down (CDN_STALE_IF_ERROR), because every change purges the keys it affects.

What a change affects is the changed object's own rule (`surrogate_keys()` on Story,
Question, …); config.versions asks for it where it bumps the content versions, so every
write that retires the site's own cached answers purges the CDN too. Purges are sent
once the transaction commits (config.cdn.purging), as background tasks
(config.cdn.tasks), one batch per transaction; a failing one is retried and never fails
the write. A forecast burst on a hot question purges its keys at most twice per
CDN_FORECAST_PURGE_SECONDS (at the first forecast, and once at the end of the window for
those that came after).

Feeds, the sitemap and robots.txt keep their own plain max-age and carry no keys.
"""

from django.conf import settings
from django.utils.cache import patch_cache_control

LIST_STORIES = "list-stories"  # home, topic pages, search, the API's story list
# home's rail, /questions/, search, leaderboard, track record, the API's question list
LIST_QUESTIONS = "list-questions"
TOPICS = "topics"  # every page that names the topics


def story_key(pk):
    return f"story-{pk}"


def question_key(pk):
    return f"question-{pk}"


def enabled():
    return settings.CDN_PURGER != "none"


# --- What a response shows -------------------------------------------------------------


def tag(request, *keys):
    """Add surrogate keys to the response `request` gets (read by `public_headers`)."""
    if not hasattr(request, "surrogate_keys"):
        request.surrogate_keys = set()
    request.surrogate_keys.update(keys)


def tag_stories(request, stories):
    """Keys for stories shown on a page, and for the questions shown with them (the
    links that forecasts.models.with_questions or with_featured_question loaded)."""
    for story in stories:
        tag(request, story_key(story.pk))
        links = getattr(story, "featured_links", None) or getattr(story, "public_links", ())
        tag(request, *(question_key(link.question_id) for link in links))


def tag_questions(request, questions):
    tag(request, *(question_key(q.pk) for q in questions))


def header_value(keys):
    separator = "," if settings.CDN_SURROGATE_HEADER.lower() == "cache-tag" else " "
    return separator.join(sorted(keys))


def public_headers(request, response):
    """For an anonymous public response: the CDN's lifetime and the surrogate keys.

    Only with a purger: a CDN that nobody purges may keep a page no longer than a browser
    does (`max-age`, PAGE_CACHE_SECONDS). Browsers ignore `s-maxage`: their `max-age` and
    validators are as without a CDN (those that honour stale-while-revalidate may show a
    page that much longer while they revalidate it).
    """
    if not enabled():
        return
    patch_cache_control(
        response,
        s_maxage=settings.CDN_S_MAXAGE,
        stale_while_revalidate=settings.CDN_STALE_WHILE_REVALIDATE,
        stale_if_error=settings.CDN_STALE_IF_ERROR,
    )
    keys = getattr(request, "surrogate_keys", None)
    if keys:
        response[settings.CDN_SURROGATE_HEADER] = header_value(keys)
