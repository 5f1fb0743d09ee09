"""`manage.py create_editor USERNAME [--role editor|reporter]`: a staff account in the
Editors group (publishes, resolves) or the Reporters group (writes, submits for review)."""

import getpass
import os

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from config.roles import ROLES

PASSWORD_VARIABLE = "EDITOR_PASSWORD"  # noqa: S105 - the name of a variable


class Command(BaseCommand):
    help = (
        "Create an editor or a reporter (a staff user in the Editors or Reporters group), or "
        "give an existing user that role. The password is asked for, or read from "
        f"${PASSWORD_VARIABLE} with --no-input."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--email", default="")
        parser.add_argument("--no-input", action="store_true", dest="no_input")
        parser.add_argument(
            "--role",
            choices=list(ROLES),
            default="editor",
            help="editor: publishes, corrects and resolves (the default); reporter: writes "
            "and submits for review.",
        )

    def handle(self, *args, username, email, no_input, role, **options):
        try:
            group = Group.objects.get(name=ROLES[role])
        except Group.DoesNotExist:
            raise CommandError(
                f"The {ROLES[role]} group is missing: run `manage.py migrate`."
            ) from None
        User = get_user_model()
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(username=username, email=email)
            password = self._password(no_input)
            try:
                validate_password(password, user)
            except ValidationError as error:
                raise CommandError("Password refused: " + " ".join(error.messages)) from None
            user.set_password(password)
            verb = "Created"
        else:
            verb = "Updated"
        user.is_staff = True
        user.save()
        # One role at a time: a reporter made an editor leaves the Reporters group.
        user.groups.remove(*Group.objects.filter(name__in=ROLES.values()).exclude(pk=group.pk))
        user.groups.add(group)
        self.stdout.write(self.style.SUCCESS(f"{verb} {role} {username!r}."))

    def _password(self, no_input):
        if no_input:
            password = os.environ.get(PASSWORD_VARIABLE, "")
            if not password:
                raise CommandError(f"--no-input needs the password in ${PASSWORD_VARIABLE}.")
            return password
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Password (again): "):
            raise CommandError("The passwords differ; nothing was created.")
        return password
