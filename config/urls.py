"""The site's URLs: each app brings its own."""

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseServerError
from django.template import loader
from django.urls import include, path, reverse
from django.views.decorators.cache import cache_control, never_cache
from django.views.defaults import page_not_found

from config import accounts, metrics, oembed, outages
from config.api.errors import api_400, api_404, api_500
from config.bad_requests import explain
from config.request_id import current_request_id
from forecasts import live
from forecasts.feeds import QuestionsAtomFeed, QuestionsFeed
from forecasts.urls import reader_patterns
from news.feeds import StoriesAtomFeed, StoriesFeed
from news.sitemaps import SITEMAPS

admin.site.site_header = f"{settings.SITE_NAME} · Editorial desk"
admin.site.site_title = f"{settings.SITE_NAME} editorial desk"
admin.site.index_title = "Stories and forecast questions"


def handler404(request, exception=None):
    """JSON for API clients, the friendly page for everyone else."""
    if request.path.startswith("/api/"):
        return api_404(request, exception)
    return page_not_found(request, exception)


def handler500(request):
    """The page (or, under /api/, the JSON) says what to quote: the request's id, which is
    in the log line that went to the newsroom with the error (config/request_id.py)."""
    if outages.failed_on_database():  # raised outside a view (DatabaseOutage has the rest)
        return outages.unavailable(request)
    if request.path.startswith("/api/"):
        return api_500(request)
    page = loader.get_template("500.html").render({"request_id": current_request_id()})
    return HttpResponseServerError(page)


def handler400(request, exception=None):
    """JSON under /api/, else a page that says what was wrong when there is something to
    say (a NUL in the address, a body over the size limits: config.bad_requests)."""
    if request.path.startswith("/api/"):
        return api_400(request, exception)
    # Rendered without the request: it may be refused before sessions or auth ran.
    _code, message = explain(exception) or (None, None)
    page = loader.get_template("400.html").render({"message": message})
    return HttpResponseBadRequest(page)


@never_cache
def healthz(request):
    """Liveness for load balancers: answers without touching the database."""
    return HttpResponse("ok", content_type="text/plain")


@cache_control(public=True, max_age=3600)
def robots_txt(request):
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /stories/*/preview/",
        "Disallow: /search/",
        f"Sitemap: {request.build_absolute_uri(reverse('sitemap'))}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain")


urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", outages.readyz, name="readyz"),
    path("metrics", metrics.metrics, name="metrics"),
    path("robots.txt", robots_txt, name="robots"),
    path(
        "sitemap.xml",
        cache_control(public=True, max_age=600)(sitemap),
        {"sitemaps": SITEMAPS},
        name="sitemap",
    ),
    path("feeds/stories/", StoriesFeed(), name="feed-stories"),
    path("feeds/stories/atom/", StoriesAtomFeed(), name="feed-stories-atom"),
    path("feeds/questions/", QuestionsFeed(), name="feed-questions"),
    path("feeds/questions/atom/", QuestionsAtomFeed(), name="feed-questions-atom"),
    path("admin/", admin.site.urls),
    path("api/", include("config.api.urls")),
    path("oembed", oembed.oembed, name="oembed"),
    # Server-Sent Events: serve /live/ with the ASGI app (config.asgi) in production.
    path("live/questions/", live.questions_stream, name="live-questions"),
    path("live/questions/<slug:slug>/", live.question_stream, name="live-question"),
    path("accounts/", include(accounts.urlpatterns)),
    path("", include((reader_patterns, "readers"))),
    path("questions/", include("forecasts.urls")),
    path("", include("news.urls")),
]

# `make run` (DEBUG) serves uploaded media itself; production serves MEDIA_ROOT from the
# web server or object storage (static() adds nothing when DEBUG is off).
urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
