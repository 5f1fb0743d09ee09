"""`manage.py recompute_forecasts`: rebuild the community forecast from raw forecasts."""

import math

from django.core.management.base import BaseCommand
from django.db import transaction

from forecasts import recompute
from forecasts.models import Option, Question

DRIFT = 1e-6
# The pooled sums hold weights that grow with time: they are compared relative to the
# question's largest weight, with this tolerance.
POOLED_DRIFT = 1e-9
CHUNK = 500


class Command(BaseCommand):
    help = (
        "Recompute every question's running sums (the mean's and the pooled aggregate's) "
        "and forecaster count from the raw forecasts, report any drift from the running "
        "values, and fix it (--check: report only, exit 1 on drift)."
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
                totals = recompute.rebuilt_totals(chunk)
                stored = list(
                    Option.objects.filter(question_id__in=chunk).select_related("question")
                )
                problems = {}
                for pk, question in questions.items():
                    if question.forecaster_count != totals.counts[pk]:
                        problems.setdefault(question.slug, []).append(
                            f"forecasters {question.forecaster_count} → {totals.counts[pk]}"
                        )
                    if question.pooled_origin != totals.origins[pk]:
                        problems.setdefault(question.slug, []).append(
                            f"pooled origin {question.pooled_origin} → {totals.origins[pk]}"
                        )
                scale = {}  # {question id: its largest rebuilt option weight}
                for option in stored:
                    weight = totals.weights[option.pk]
                    scale[option.question_id] = max(scale.get(option.question_id, 1.0), weight)
                for option in stored:
                    label, slug = option.label, option.question.slug
                    mean = totals.sums[option.pk]
                    if not math.isclose(option.forecast_sum, mean, abs_tol=DRIFT):
                        problems.setdefault(slug, []).append(
                            f"“{label}” {option.forecast_sum:.6f} → {mean:.6f}"
                        )
                    tolerance = POOLED_DRIFT * scale[option.question_id]
                    for name, value in (
                        ("pooled log sum", totals.log_sums[option.pk]),
                        ("pooled weight", totals.weights[option.pk]),
                    ):
                        stored_value = getattr(option, name.replace(" ", "_"))
                        # ln p >= ln 0.001 (about -6.9): room for that factor.
                        if not math.isclose(stored_value, value, abs_tol=tolerance * 7):
                            problems.setdefault(slug, []).append(
                                f"“{label}” {name} {stored_value:.6g} → {value:.6g}"
                            )
                for slug, found in problems.items():
                    self.stdout.write(f"{slug}: " + "; ".join(found))
                drifted += len(problems)
                if problems and not check:
                    recompute.store_totals(totals)
        verdict = "fixed" if not check else "found"
        summary = f"{drifted} question(s) drifted; {verdict}." if drifted else "No drift."
        self.stdout.write(summary)
        if drifted and check:
            raise SystemExit(1)
