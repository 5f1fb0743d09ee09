"""The demo newsroom that `manage.py load_demo` loads, in one transaction.

- captured: the newsroom file (`al-qaim.json`, the captured story page), checked whole,
  then written: what is missing is added, what an editor changed is left alone.
- living: around the built-in file only, the living demo: follow-up stories, open,
  resolved and annulled questions, and simulated readers forecasting on them.
- accounts: the demo accounts, all in the "Demo accounts" group: the simulated readers
  and, only when asked for, the demo logins whose passwords `load_demo` prints.
- report: what a run did, told in a sentence.
"""

from django.db import transaction
from django.utils import timezone

from news.demo import accounts, captured, living
from news.demo.captured import DEMO_PATH, DemoFileError, read_file
from news.demo.report import Report

__all__ = ["DEMO_PATH", "DemoFileError", "load", "read_file"]


def load(path=None, reset=False, logins=False, now=None):
    """Load the newsroom file at `path`, or the built-in demo with its living demo, and
    the demo logins if `logins`.

    Returns [(what, Report)], one per part loaded. With `reset`, what editors changed
    is put back and the living demo (demo accounts included) is rebuilt from scratch.
    All or nothing: a bad file raises DemoFileError having written nothing.
    """
    data = read_file(path or DEMO_PATH)
    problems = captured.check(data)
    if problems:
        raise DemoFileError(problems)
    now = now or timezone.now()
    with transaction.atomic():
        newsroom = Report()
        parts = [(str(path) if path else "Captured newsroom (news/demo/al-qaim.json)", newsroom)]
        if path is None:
            simulated = Report()
            parts.append(("Living demo", simulated))
            if reset:
                living.remove(simulated)
        captured.load(data, newsroom, reset=reset)
        if path is None:
            living.build(simulated, now)
        if logins:
            accounts.ensure_logins(parts[-1][1])
    return parts
