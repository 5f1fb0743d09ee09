"""The site's URLs: each app brings its own."""

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.views import PasswordResetView
from django.contrib.sitemaps.views import sitemap
from django.http import HttpResponse
from django.urls import include, path, reverse
from django.views.decorators.cache import cache_control, never_cache
from django.views.defaults import bad_request, page_not_found, server_error

from config import accounts, oembed
from config.api.errors import api_400, api_404, api_500
from config.mail import QueuedPasswordResetForm
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
    if request.path.startswith("/api/"):
        return api_500(request)
    return server_error(request)


def handler400(request, exception=None):
    if request.path.startswith("/api/"):
        return api_400(request, exception)
    return bad_request(request, exception)


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
    path("accounts/login/", accounts.ReaderLoginView.as_view(), name="login"),
    path(
        "accounts/password_reset/",
        PasswordResetView.as_view(form_class=QueuedPasswordResetForm),
        name="password_reset",
    ),
    path("accounts/signup/", accounts.signup, name="signup"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include((reader_patterns, "readers"))),
    path("questions/", include("forecasts.urls")),
    path("", include("news.urls")),
]
