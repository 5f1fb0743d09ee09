"""Template context that every page needs."""

from django.conf import settings


def site(request):
    return {"site_name": settings.SITE_NAME, "site_language": settings.LANGUAGE_CODE}
