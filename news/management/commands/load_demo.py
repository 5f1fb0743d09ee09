"""`manage.py load_demo [path] [--reset]`: load the demo newsroom (all or nothing)."""

from django.core.management.base import BaseCommand, CommandError

from news import demo


class Command(BaseCommand):
    help = (
        "Load stories, topics and questions from a JSON file (default: the Al-Qaim demo). "
        "Adds what is missing and never writes over an editor's changes (--reset puts "
        "the file's version back); a bad file is reported and nothing is written."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", default=str(demo.DEMO_PATH))
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Replace what editors changed with the file's version.",
        )

    def handle(self, *args, path, reset, **options):
        try:
            report = demo.load(demo.read_file(path), reset=reset)
        except demo.DemoFileError as error:
            problems = "\n".join(f"  - {problem}" for problem in error.problems)
            raise CommandError(
                f"{path} was not loaded; nothing was written:\n{problems}"
            ) from None
        if not report.changed and not report.left_alone:
            self.stdout.write(f"{path}: already loaded, nothing changed.")
            return
        summary = report.summary()
        if not report.changed:
            summary = f"nothing missing; {summary}"
        if report.left_alone:
            summary += " (`load_demo --reset` puts the file's version back)"
        self.stdout.write(self.style.SUCCESS(f"{path}: {summary}."))
