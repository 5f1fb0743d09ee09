"""`manage.py load_demo [path] [--reset]`: load the demo newsroom (all or nothing)."""

from django.core.management.base import BaseCommand, CommandError

from news import demo


class Command(BaseCommand):
    help = (
        "Load the demo newsroom: the captured Al-Qaim story and a living demo around it "
        "(open questions, simulated readers), or only the stories, topics and questions "
        "of the JSON file given. Adds what is missing and never writes over an editor's "
        "changes; a bad file is reported and nothing is written."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "path",
            nargs="?",
            help="A newsroom file to load instead of the demo (no living demo around it).",
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Put back what editors changed and rebuild the living demo from scratch.",
        )

    def handle(self, *args, path, reset, **options):
        try:
            parts = demo.load(path, reset=reset)
        except demo.DemoFileError as error:
            problems = "\n".join(f"  - {problem}" for problem in error.problems)
            raise CommandError(
                f"{path or demo.DEMO_PATH} was not loaded; nothing was written:\n{problems}"
            ) from None
        for what, report in parts:
            self.stdout.write(self._sentence(what, report))

    def _sentence(self, what, report):
        if not report.changed and not report.left_alone:
            return f"{what}: already loaded, nothing changed."
        summary = report.summary()
        if not report.changed:
            summary = f"nothing missing; {summary}"
        if report.left_alone:
            summary += " (`load_demo --reset` puts them back)"
        return self.style.SUCCESS(f"{what}: {summary}.")
