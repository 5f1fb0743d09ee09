"""The site's URLs: each app brings its own."""

from django.conf import settings
from django.contrib import admin
from django.http import HttpResponse
from django.urls import include, path
from django.views.decorators.cache import never_cache


@never_cache
def healthz(request):
    """Liveness for load balancers: answers without touching the database."""
    return HttpResponse("ok", content_type="text/plain")


admin.site.site_header = f"{settings.SITE_NAME} · Editorial desk"
admin.site.site_title = f"{settings.SITE_NAME} editorial desk"
admin.site.index_title = "Stories and forecast questions"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("questions/", include("forecasts.urls")),
    path("", include("news.urls")),
]
