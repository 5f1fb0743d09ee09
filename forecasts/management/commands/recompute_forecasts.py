"""`manage.py recompute_forecasts`: rebuild the community forecast from raw forecasts."""

import math

from django.core.management.base import BaseCommand
from django.db import transaction

from forecasts import recompute
from forecasts.models import Option, Question

DRIFT = 1e-6
CHUNK = 500


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
        ids = list(Question.objects.order_by("pk").values_list("pk", flat=True))
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            with transaction.atomic():
                # Locked like record_forecast locks: no forecast lands mid-comparison.
                questions = {
                    q.pk: q for q in Question.objects.select_for_update().filter(pk__in=chunk)
                }
                sums, counts = recompute.rebuilt_totals(chunk)
                stored = Option.objects.filter(question_id__in=chunk).select_related("question")
                problems = {}
                for pk, question in questions.items():
                    if question.forecaster_count != counts[pk]:
                        problems.setdefault(question.slug, []).append(
                            f"forecasters {question.forecaster_count} → {counts[pk]}"
                        )
                for option in stored:
                    if not math.isclose(option.forecast_sum, sums[option.pk], abs_tol=DRIFT):
                        problems.setdefault(option.question.slug, []).append(
                            f"“{option.label}” {option.forecast_sum:.6f} → {sums[option.pk]:.6f}"
                        )
                for slug, found in problems.items():
                    self.stdout.write(f"{slug}: " + "; ".join(found))
                drifted += len(problems)
                if problems and not check:
                    recompute.store_totals(sums, counts)
        verdict = "fixed" if not check else "found"
        summary = f"{drifted} question(s) drifted; {verdict}." if drifted else "No drift."
        self.stdout.write(summary)
        if drifted and check:
            raise SystemExit(1)
