"""`manage.py load_demo [path] [--reset] [--accounts]`: load the demo newsroom (all or
nothing) and print the demo logins."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from news import demo
from news.demo import accounts


class Command(BaseCommand):
    help = (
        "Load the demo newsroom: the captured Al-Qaim story and a living demo around it "
        "(open questions, simulated readers), or only the stories, topics and questions "
        "of the JSON file given. Adds what is missing and never writes over an editor's "
        "changes; a bad file is reported and nothing is written. With DEBUG on (or "
        "--accounts) it also makes a demo editor and a demo reader and prints their logins."
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
        parser.add_argument(
            "--accounts",
            action="store_true",
            help="Make the demo logins even with DEBUG off (their passwords are public: "
            "never on a site with real readers).",
        )

    def handle(self, *args, path, reset, accounts, **options):
        with_logins = accounts or settings.DEBUG
        try:
            parts = demo.load(path, reset=reset, logins=with_logins)
        except demo.DemoFileError as error:
            problems = "\n".join(f"  - {problem}" for problem in error.problems)
            raise CommandError(
                f"{path or demo.DEMO_PATH} was not loaded; nothing was written:\n{problems}"
            ) from None
        for what, report in parts:
            self.stdout.write(self._sentence(what, report))
        self._logins(with_logins)

    def _sentence(self, what, report):
        if not report.changed and not report.left_alone:
            return f"{what}: already loaded, nothing changed."
        summary = report.summary()
        if not report.changed:
            summary = f"nothing missing; {summary}"
        if report.left_alone:
            summary += " (`load_demo --reset` restores the loaded version)"
        return self.style.SUCCESS(f"{what}: {summary}.")

    def _logins(self, with_logins):
        status = accounts.logins()
        if not with_logins:
            self.stdout.write(
                "No demo logins: DEBUG is off, so none were made (`load_demo --accounts` "
                "makes them, with public passwords). Simulated readers cannot log in."
            )
            left = [login.username for login, exists, _ in status if exists]
            if left:
                self.stdout.write(
                    self.style.WARNING(
                        f"Demo logins from an earlier run still exist ({', '.join(left)}); "
                        "`load_demo --reset` removes them."
                    )
                )
            return
        self.stdout.write(
            self.style.WARNING(
                "Demo logins (DEMO ONLY: these passwords are public, never use them on a "
                "site with real readers):"
            )
        )
        for login, exists, opens in status:
            if opens:
                shown = f"{login.username} / {login.password}"
            elif exists:
                shown = f"{login.username} (password changed; `load_demo --reset` sets it back)"
            else:
                shown = f"{login.username} (not made: another account has that name)"
            self.stdout.write(f"  {login.role:<7} {shown:<36} log in at {login.start}")
