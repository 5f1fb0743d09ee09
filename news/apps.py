from django.apps import AppConfig
from django.db.models.signals import m2m_changed, post_delete, post_save


class NewsConfig(AppConfig):
    name = "news"
    verbose_name = "Stories"

    def ready(self):
        from forecasts import models as forecasts
        from news import freshness
        from news.models import Story, Topic

        # Anything readers see changed: pages and fragments must not be served stale.
        for model in (
            Story, Topic, forecasts.Question, forecasts.Option, forecasts.StoryQuestion,
            forecasts.Forecast, forecasts.ForecastSnapshot,
        ):  # fmt: skip
            post_save.connect(freshness.bump, sender=model, dispatch_uid=f"bump-save-{model}")
            post_delete.connect(freshness.bump, sender=model, dispatch_uid=f"bump-del-{model}")
        m2m_changed.connect(freshness.bump, sender=Story.topics.through, dispatch_uid="bump-m2m")
