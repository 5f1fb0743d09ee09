"""`manage.py evaluate_aggregates`: Brier and log scores of the community aggregates, side
by side, on the resolved questions or on a simulation with known truth."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from forecasts import evaluation


class Command(BaseCommand):
    help = (
        "Replay the resolved questions (the demo's, seed_scale's or a newsroom's own) and "
        "print each community aggregate's mean Brier score (lower is better) and log score "
        "(higher is better) on the forecasts that stood at close; --simulate scores them on "
        "simulated readers with a known truth instead."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--simulate", action="store_true", help="simulated questions, not the database's"
        )
        parser.add_argument("--questions", type=int, default=2000, help="simulated questions")
        parser.add_argument("--seed", type=int, default=1, help="the simulation's seed")

    def handle(self, *args, simulate, questions, seed, **options):
        compared = evaluation.aggregates(
            settings.COMMUNITY_EXTREMIZING, settings.COMMUNITY_HALF_LIFE_HOURS
        )
        if simulate:
            if questions < 1:
                raise CommandError("--questions needs at least 1.")
            cases = evaluation.simulate(questions, seed)
            rows = [*evaluation.score(cases, compared), evaluation.truth_row(cases)]
            title = f"Simulated: {questions} questions, seed {seed}"
        else:
            cases = evaluation.resolved_cases()
            if not cases:
                raise CommandError(
                    "No resolved question has a forecast made before it closed: nothing to "
                    "replay. Try --simulate, or `manage.py load_demo`."
                )
            rows = evaluation.score(cases, compared)
            title = f"Replayed: {len(cases)} resolved questions"
        self.stdout.write(f"{title}\n")
        self.stdout.write(
            "| Aggregate | Questions | Brier (lower is better) | Log score (higher is better) |"
        )
        self.stdout.write("|---|---:|---:|---:|")
        for name, n, brier, log in rows:
            self.stdout.write(f"| {name} | {n} | {brier:.4f} | {log:.4f} |")
