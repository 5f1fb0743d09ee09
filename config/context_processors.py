"""Template context that every page needs."""

from django.conf import settings


def site(request):
    return {
        "site_name": settings.SITE_NAME,
        "site_language": settings.LANGUAGE_CODE,
        # Which community aggregate the pages describe (forecasts.maths): "pooled" or "mean".
        "community_aggregate": settings.COMMUNITY_AGGREGATE,
    }
