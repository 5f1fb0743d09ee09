"""Parts of a page cached on their own, fetched for the whole page in one round trip.

Rendering the question cards is most of what a list page costs (Django's template engine
walks every card's nodes for every request), yet a card changes only when its question
does. A page rendered with `render_page` leaves a placeholder where each cached part goes;
once the page is rendered, one `get_many` fetches every part, the missing ones are
rendered and stored with one `set_many`, and the placeholders are filled in.

A part's key names what it is made of: the editorial version (any edit by the newsroom),
the clock's slice (a question closes, a day's change moves on without a write, as for
whole pages), and what the caller adds (a question's own `updated_at`, which every
forecast moves). So a part is never older than PAGE_CACHE_SECONDS, as pages are not.
Anything a signed-in reader sees of their own stays outside the parts.
"""

import hashlib
import re
import secrets
from collections import defaultdict

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from config import versions

COLLECTOR = "page_fragments"


def key_for(request, *made_of):
    """The cache key of a part `made_of` these, as of this request's editorial version
    and the clock's slice."""
    version = versions.request_editorial_version(request)["version"]
    raw = ":".join(map(str, (version, versions.clock_bucket(), *made_of)))
    return "fragment:" + hashlib.sha1(raw.encode(), usedforsecurity=False).hexdigest()


class Fragments:
    """The cached parts one page asked for, in the order it asked."""

    def __init__(self, request):
        self.request = request
        # A mark no content can forge: content comes escaped, and the token is new.
        self.token = secrets.token_hex(8)
        self.wanted = []  # (key, template name, context, prepare)

    def place(self, template_name, context, made_of, prepare=None):
        """A placeholder for `template_name` rendered with `context`, cached under
        what it is `made_of` (besides the editorial version and the clock). `prepare`:
        (function, item) when the item needs more loaded before it can be rendered:
        the function is called once, with every such item the cache did not have."""
        key = key_for(self.request, template_name, *made_of)
        self.wanted.append((key, template_name, context, prepare))
        return mark_safe(f"<!--fragment {self.token} {len(self.wanted) - 1}-->")  # noqa: S308

    def fill(self, html):
        if not self.wanted:
            return html
        found = cache.get_many(list(dict.fromkeys(key for key, *_ in self.wanted)))
        missing = [wanted for wanted in self.wanted if wanted[0] not in found]
        to_prepare = defaultdict(list)
        for *_, prepare in missing:
            if prepare:
                to_prepare[prepare[0]].append(prepare[1])
        for function, items in to_prepare.items():
            function(items)
        made = {}
        for key, template_name, context, _ in missing:
            if key not in made:
                made[key] = render_to_string(template_name, context)
        if made:
            cache.set_many(made, timeout=settings.PAGE_CACHE_SECONDS)
        found |= made
        parts = [found[key] for key, *_ in self.wanted]
        return re.sub(
            rf"<!--fragment {self.token} (\d+)-->", lambda match: parts[int(match[1])], html
        )


def part(context, template_name, values, made_of, prepare=None):
    """For a template tag: `template_name` rendered with `values` (and the site's
    language), a cached part if the page is rendered with render_page, else at once.
    `made_of` and `prepare` as for Fragments.place."""
    values = {**values, "site_language": context.get("site_language")}
    fragments = context.get(COLLECTOR)
    if fragments is None:
        if prepare:
            prepare[0]([prepare[1]])
        return render_to_string(template_name, values)
    return fragments.place(template_name, values, (values["site_language"], *made_of), prepare)


def render_page(request, template_name, context, status=None):
    """Like django.shortcuts.render, with the page's cached parts filled in."""
    fragments = Fragments(request)
    html = render_to_string(template_name, {**context, COLLECTOR: fragments}, request)
    return HttpResponse(fragments.fill(html), status=status)
