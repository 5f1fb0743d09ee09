"""The shipped process model (scripts/deploy/): the Procfile and the systemd units run
the same programs, and every program they name exists here."""

import configparser
import re
import shlex
from pathlib import Path

from django.core.management import get_commands

DEPLOY = Path(__file__).resolve().parent.parent / "scripts" / "deploy"
ROOT = DEPLOY.parent.parent


def procfile():
    processes = {}
    for line in (DEPLOY / "Procfile").read_text().splitlines():
        if line and not line.startswith("#"):
            name, command = line.split(":", 1)
            processes[name] = command.strip()
    return processes


def unit(name):
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read(DEPLOY / "systemd" / name)
    return parser


def exec_start(name):
    """The unit's command, its virtualenv's path taken off the program."""
    words = shlex.split(unit(name)["Service"]["ExecStart"])
    return [words[0].rsplit("/", 1)[1], *words[1:]]


def test_the_procfile_names_the_four_kinds_of_process_and_the_release_step():
    assert set(procfile()) == {"release", "web", "streams", "worker", "clock"}


def test_every_management_command_named_exists():
    commands = [*procfile().values()]
    for path in DEPLOY.glob("systemd/*"):
        commands += [line for line in path.read_text().splitlines() if line.startswith("Exec")]
    named = {name for command in commands for name in re.findall(r"manage\.py (\w+)", command)}
    assert named >= {"migrate", "collectstatic", "db_worker", "fire_due_events"}
    assert named <= set(get_commands())


def test_the_units_run_what_the_procfile_runs():
    processes = procfile()
    web = exec_start("forecastdesk-web.service")
    assert web[:4] == ["gunicorn", "config.wsgi", "--config", "config/gunicorn.conf.py"]
    assert processes["web"].startswith(" ".join(web[:4]))
    assert (ROOT / web[3]).is_file()
    streams = exec_start("forecastdesk-streams.service")
    assert streams[:2] == ["uvicorn", "config.asgi:application"]
    assert processes["streams"].startswith(" ".join(streams[:2]))
    worker = exec_start("forecastdesk-worker.service")
    assert processes["worker"] == " ".join(["python", *worker[1:]])
    clock = exec_start("forecastdesk-clock.service")
    assert " ".join(["python", *clock[1:]]) in processes["clock"]
    assert unit("forecastdesk-clock.timer")["Timer"]["OnCalendar"] == "minutely"


def test_gunicorn_gets_a_metrics_directory_of_its_own():
    service = unit("forecastdesk-web.service")["Service"]
    assert service["Environment"] == (
        f"PROMETHEUS_MULTIPROC_DIR=/run/{service['RuntimeDirectory']}"
    )
