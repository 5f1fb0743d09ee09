from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save

from config import versions


class ForecastsConfig(AppConfig):
    name = "forecasts"
    verbose_name = "Forecast questions"

    def ready(self):
        # Readers see questions, options and links, and the community forecast: a change
        # must not be served stale. Forecasts move only the forecast version, so they do
        # not retire whole cached pages (config.versions).
        for name, bump in (
            ("Question", versions.bump),
            ("Option", versions.bump),
            ("StoryQuestion", versions.bump),
            ("Forecast", versions.bump_forecasts),
            ("ForecastSnapshot", versions.bump_forecasts),
        ):
            model = self.get_model(name)
            post_save.connect(bump, sender=model, dispatch_uid=f"bump-save-{name}")
            post_delete.connect(bump, sender=model, dispatch_uid=f"bump-del-{name}")
        # Webhooks: a question saved as published is announced once (forecasts.events).
        from forecasts import events

        post_save.connect(
            events.on_question_saved,
            sender=self.get_model("Question"),
            dispatch_uid="webhook-question-published",
        )
