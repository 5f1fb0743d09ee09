"""`manage.py recompute_forecasts`: rebuild the community forecast from raw forecasts."""

import math

from django.core.management.base import BaseCommand
from django.db import transaction

from forecasts import aggregation
from forecasts.models import Option, Question
from news.freshness import bump

DRIFT = 1e-6


class Command(BaseCommand):
    help = (
        "Recompute every question's per-option sums and forecaster count from the raw "
        "forecasts, report any drift from the running values, and fix it (--check: report "
        "only, exit 1 on drift)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="report drift, change nothing")

    def handle(self, *args, check, **options):
        drifted = 0
        questions = Question.objects.prefetch_related("options").order_by("pk")
        for question in questions.iterator(chunk_size=500):
            with transaction.atomic():
                locked = Question.objects.select_for_update().get(pk=question.pk)
                sums, count = aggregation.recompute(locked)
                problems = []
                if count != locked.forecaster_count:
                    problems.append(f"forecasters {locked.forecaster_count} → {count}")
                for option in locked.options.all():
                    if not math.isclose(option.forecast_sum, sums[option.pk], abs_tol=DRIFT):
                        problems.append(
                            f"“{option.label}” {option.forecast_sum:.6f} → {sums[option.pk]:.6f}"
                        )
                if not problems:
                    continue
                drifted += 1
                self.stdout.write(f"{question.slug}: " + "; ".join(problems))
                if not check:
                    Question.objects.filter(pk=locked.pk).update(forecaster_count=count)
                    for option_id, total in sums.items():
                        Option.objects.filter(pk=option_id).update(forecast_sum=total)
        if drifted and not check:
            bump()
        verdict = "fixed" if not check else "found"
        summary = f"{drifted} question(s) drifted; {verdict}." if drifted else "No drift."
        self.stdout.write(summary)
        if drifted and check:
            raise SystemExit(1)
