"""Demo accounts: the living demo's simulated readers, and the demo logins.

Every demo account is in the "Demo accounts" group and its username starts with "demo-":
that is how the admin's user list (filter by group) and `load_demo --reset` tell them
from real people.

- Simulated readers have no usable password: nobody can log in as them.
- The demo logins, an editor and a reader, have passwords printed by `load_demo` and
  written in the README, so anyone can log in as them: `load_demo` makes them only when
  DEBUG is on or it is given `--accounts`, never by default in production.
"""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission

from config.roles import ensure_editors_group
from forecasts import recompute, scoring
from forecasts.models import Forecast, Question

DEMO_GROUP = "Demo accounts"
READER = ("reader", "readers")
ACCOUNT = ("demo account", "demo accounts")
LOGIN = ("demo login", "demo logins")


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    role: str
    start: str  # where to log in


# Public on purpose: a newcomer needs them. Only ever created for a demo.
LOGINS = [
    DemoLogin("demo-editor", "editor-demo-only", "editor", "/admin/"),
    DemoLogin("demo-reader", "reader-demo-only", "reader", "/accounts/login/"),
]


def demo_accounts():
    return get_user_model().objects.filter(groups__name=DEMO_GROUP)


def _demo_group():
    return Group.objects.get_or_create(name=DEMO_GROUP)[0]


def simulated_readers(usernames, report):
    """{username: user} for `usernames`, creating the missing ones without a password."""
    User = get_user_model()
    users = {user.username: user for user in User.objects.filter(username__in=usernames)}
    missing = [username for username in usernames if username not in users]
    if missing:
        group = _demo_group()
        for username in missing:
            user = User(username=username)
            user.set_unusable_password()
            user.save()
            user.groups.add(group)
            users[username] = user
        report.created[READER] += len(missing)
    return users


def ensure_logins(report):
    """Create the demo logins that are missing; an existing one is left as it is."""
    User = get_user_model()
    existing = set(
        User.objects.filter(username__in=[login.username for login in LOGINS]).values_list(
            "username", flat=True
        )
    )
    for login in LOGINS:
        if login.username in existing:
            continue
        user = User(username=login.username, email=f"{login.username}@example.com")
        user.set_password(login.password)
        user.is_staff = login.role == "editor"
        user.save()
        user.groups.add(_demo_group())
        if login.role == "editor":
            user.groups.add(ensure_editors_group(Group, Permission))
        report.created[LOGIN] += 1


def logins():
    """[(login, whether it exists, whether the printed password still opens it)]."""
    users = {
        user.username: user
        for user in demo_accounts().filter(username__in=[login.username for login in LOGINS])
    }
    status = []
    for login in LOGINS:
        user = users.get(login.username)
        status.append(
            (login, user is not None, bool(user and user.check_password(login.password)))
        )
    return status


def remove(report):
    """Delete every demo account with its forecasts and scores.

    Their forecasts on questions that stay (which only a demo login could have made) are
    taken out of those questions' running sums and scores the way
    `recompute_forecasts` would, so what readers see stays true.
    """
    accounts = demo_accounts()
    staying = set(
        Forecast.objects.filter(user__in=accounts)
        .exclude(question__is_demo=True)
        .values_list("question", flat=True)
    )
    count = accounts.count()
    if not count:
        return
    accounts.delete()
    report.removed[ACCOUNT] += count
    if staying:
        recompute.store_totals(recompute.rebuilt_totals(staying))
        for question in Question.objects.filter(pk__in=staying, status=Question.Status.RESOLVED):
            scoring.score_question(question)
