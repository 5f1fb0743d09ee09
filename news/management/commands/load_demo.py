"""`manage.py load_demo [path]`: load the demo newsroom (idempotent, all or nothing)."""

from django.core.management.base import BaseCommand, CommandError

from news import demo


class Command(BaseCommand):
    help = (
        "Load stories, topics and questions from a JSON file (default: the Al-Qaim demo). "
        "Running it again changes nothing; a bad file is reported and nothing is written."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", default=str(demo.DEMO_PATH))

    def handle(self, *args, path, **options):
        try:
            report = demo.load(demo.read_file(path))
        except demo.DemoFileError as error:
            problems = "\n".join(f"  - {problem}" for problem in error.problems)
            raise CommandError(
                f"{path} was not loaded; nothing was written:\n{problems}"
            ) from None
        if not report.changed:
            self.stdout.write(f"{path}: already loaded, nothing changed.")
            return
        parts = [f"created {n} {name}" for name, n in sorted(report.created.items())]
        parts += [f"updated {n} {name}" for name, n in sorted(report.updated.items())]
        self.stdout.write(self.style.SUCCESS(f"{path}: " + ", ".join(parts) + "."))
