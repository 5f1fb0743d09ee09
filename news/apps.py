from django.apps import AppConfig
from django.db.models.signals import m2m_changed, post_delete, post_save


class NewsConfig(AppConfig):
    name = "news"
    verbose_name = "Stories"

    def ready(self):
        from forecasts import models as forecasts
        from news import freshness
        from news.models import Story, Topic

        # Anything readers see changed: pages must not be served stale.
        for model, bump in (
            (Story, freshness.bump), (Topic, freshness.bump), (forecasts.Question, freshness.bump),
            (forecasts.Option, freshness.bump), (forecasts.StoryQuestion, freshness.bump),
            (forecasts.Forecast, freshness.bump_forecasts),
            (forecasts.ForecastSnapshot, freshness.bump_forecasts),
        ):  # fmt: skip
            post_save.connect(bump, sender=model, dispatch_uid=f"bump-save-{model}")
            post_delete.connect(bump, sender=model, dispatch_uid=f"bump-del-{model}")
        m2m_changed.connect(freshness.bump, sender=Story.topics.through, dispatch_uid="bump-m2m")
