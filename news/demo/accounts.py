"""Demo accounts: the living demo's simulated readers.

Every demo account is in the "Demo accounts" group and its username starts with "demo-":
that is how the admin's user list (filter by group) and `load_demo --reset` tell them
from real people. Simulated readers have no usable password: nobody can log in as them.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from forecasts import recompute, scoring
from forecasts.models import Forecast, Question

DEMO_GROUP = "Demo accounts"
READER = ("reader", "readers")
ACCOUNT = ("demo account", "demo accounts")


def demo_accounts():
    return get_user_model().objects.filter(groups__name=DEMO_GROUP)


def simulated_readers(usernames, report):
    """{username: user} for `usernames`, creating the missing ones without a password."""
    User = get_user_model()
    users = {user.username: user for user in User.objects.filter(username__in=usernames)}
    missing = [username for username in usernames if username not in users]
    if missing:
        group, _ = Group.objects.get_or_create(name=DEMO_GROUP)
        for username in missing:
            user = User(username=username)
            user.set_unusable_password()
            user.save()
            user.groups.add(group)
            users[username] = user
        report.created[READER] += len(missing)
    return users


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
        recompute.store_totals(*recompute.rebuilt_totals(staying))
        for question in Question.objects.filter(pk__in=staying, status=Question.Status.RESOLVED):
            scoring.score_question(question)
